/**
 * File-tree backups (kind {@code files}): a directory tree streamed as one POSIX/PAX tar part ({@code tree.tar}) and
 * restored through a private staging directory that refuses entries escaping the target ("zip slip").
 *
 * <p>Entry point: {@link io.backup4j.files.FilesSourceProvider}, found through {@link java.util.ServiceLoader} under
 * the name and URI scheme {@code files}. The tar layout is described in {@link io.backup4j.files.FilesSource}, the
 * restore's safety rules in {@link io.backup4j.files.FilesRestoreTarget}.
 *
 * <pre>{@code
 * try (Backups backups = Backups.builder().repository("file:/var/backups/repo").build()) {
 *   Manifest m = backups.backup(BackupJob.builder().source("files:/srv/media")
 *       .sourceOption("exclude", "*.tmp,cache/**").build());
 *   backups.restore(m.id(), RestoreJob.builder("/srv/media-restored").build());
 * }
 * }</pre>
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>where</th><th>option</th><th>meaning</th></tr>
 *   <tr><td>source</td><td>{@code exclude}</td><td>comma-separated globs; without {@code /} they match names at
 *       any depth, with {@code /} paths from the root; a trailing {@code /} matches directories only</td></tr>
 *   <tr><td>target</td><td>{@code overwrite}</td><td>{@code true} to restore into a non-empty directory
 *       (default {@code false}: refused before anything is written)</td></tr>
 *   <tr><td>target</td><td>{@code fsync}</td><td>{@code false} to skip making restored files durable
 *       (default {@code true})</td></tr>
 *   <tr><td>target</td><td>{@code targetDir}</td><td>accepted for the CLI's {@code --target-dir}; no effect</td></tr>
 * </table>
 */
@NullMarked
package io.backup4j.files;

import org.jspecify.annotations.NullMarked;
