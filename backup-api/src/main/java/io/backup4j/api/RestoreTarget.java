package io.backup4j.api;

import java.io.IOException;

/**
 * Where a backup is restored to: a directory, a database, a Redis server. Created by the
 * {@link io.backup4j.api.spi.SourceProvider} of the backup's {@link Manifest#sourceKind()}.
 *
 * <p>A target refuses to overwrite existing data unless its options say so, and fails without making partial data
 * live where it can (staging directory, single transaction, temporary file renamed into place).
 */
public interface RestoreTarget extends AutoCloseable {
  /** A description of the target with credentials removed. */
  String describe();

  /**
   * Restores the backup.
   *
   * @throws IntegrityException if a part fails verification
   * @throws ConfigurationException if the target is not acceptable (not empty, wrong version) — before writing
   */
  void restore(RestoreSession session) throws IOException;

  /** Releases connections and child processes. */
  @Override
  default void close() throws IOException {}
}
