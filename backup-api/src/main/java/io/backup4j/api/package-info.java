/**
 * The backup4j API: what a backup is made of ({@link io.backup4j.api.Manifest}, {@link io.backup4j.api.PartInfo},
 * {@link io.backup4j.api.BackupId}), the four extension points ({@link io.backup4j.api.BackupSource},
 * {@link io.backup4j.api.BackupSink}, {@link io.backup4j.api.Transform}, {@link io.backup4j.api.RetentionPolicy}),
 * progress events and the single exception hierarchy rooted at {@link io.backup4j.api.BackupException}.
 *
 * <p>This package depends on the JDK and JSpecify only. Every type is null-marked: a parameter or return value may
 * be {@code null} only where it is annotated {@code @Nullable} and the Javadoc says what {@code null} means.
 */
@NullMarked
package io.backup4j.api;

import org.jspecify.annotations.NullMarked;
