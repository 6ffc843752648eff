package io.backup4j.api;

import java.io.IOException;

/**
 * Something that can be backed up: a directory tree, a PostgreSQL database, a Redis server. Created by a
 * {@link io.backup4j.api.spi.SourceProvider}; restored by the {@link RestoreTarget}s of the same provider.
 */
public interface BackupSource extends AutoCloseable {
  /** The provider kind, recorded in the manifest so restore finds the provider again, e.g. {@code files}. */
  String kind();

  /**
   * A stable description of what is backed up, with credentials removed, e.g. {@code files:/srv/media} or
   * {@code postgres://db.internal:5432/shop}. The default backup set name is derived from it.
   */
  String identity();

  /**
   * Writes the backup's parts through the session. Returning normally means every part opened was committed and
   * the data is complete; any exception fails the backup and nothing becomes visible.
   *
   * @throws SourceException if the source failed (with the source's own error text, redacted)
   * @throws CancelledException if the session's cancellation was signalled
   */
  void backup(BackupSession session) throws IOException;

  /** Releases connections and child processes. */
  @Override
  default void close() throws IOException {}
}
