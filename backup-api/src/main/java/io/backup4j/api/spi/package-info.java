/**
 * Service provider interfaces discovered through {@link java.util.ServiceLoader}: a plugin implements one of the
 * {@code *Provider} interfaces and lists the class in {@code META-INF/services/<interface name>}.
 *
 * <p>Providers are looked up by a name or URI scheme ({@code files}, {@code file}, {@code s3}, {@code zstd},
 * {@code aes-gcm}, ...). Methods added to these interfaces in later versions are {@code default} methods, so a plugin
 * compiled against an older API keeps working.
 */
@NullMarked
package io.backup4j.api.spi;

import org.jspecify.annotations.NullMarked;
