/**
 * Repositories on a local or mounted file system, scheme {@code file} ({@code file:/var/backups/repo}).
 *
 * <p>{@link io.backup4j.storage.local.LocalSinkProvider} is found through {@link java.util.ServiceLoader};
 * {@link io.backup4j.storage.local.LocalSink} is the storage itself: every object is written to a hidden temporary
 * file, made durable with {@code fsync}, renamed into place and the directory is synced, so a crash never leaves a
 * half-written object under its final name.
 */
@NullMarked
package io.backup4j.storage.local;

import org.jspecify.annotations.NullMarked;
