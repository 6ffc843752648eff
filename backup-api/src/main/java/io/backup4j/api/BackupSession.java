package io.backup4j.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the engine offers a {@link BackupSource} while it runs: a way to write named parts (each streamed through the
 * transform chain, hashed and stored as it is written), to record metadata and to report progress.
 *
 * <p>Thread-safe: a source may write several parts at once from its own threads (a table each, a file each), up to
 * {@link #parallelism()}.
 */
public interface BackupSession {
  /** The id of the backup being taken. */
  BackupId backupId();

  /**
   * Opens a new part. Write the raw bytes to {@link PartWriter#stream()}, then call {@link PartWriter#commit()};
   * closing without commit (for instance when the source fails) discards the part and will fail the backup.
   *
   * @param name the part's name, unique within the backup, valid per {@link PartInfo#validateName(String)}
   * @throws ConfigurationException if the name is invalid or was used already
   */
  PartWriter openPart(String name) throws IOException;

  /** Records a fact about the source in the manifest's {@code sourceMetadata}; the last value per key wins. */
  void putMetadata(String key, String value);

  /**
   * Declares that this backup depends on another (an incremental backup on its base, a WAL segment on its base
   * backup). Retention never removes a parent while a backup depending on it is kept.
   */
  void setParent(BackupId parent);

  /** The newest complete backup of the same backup set, for sources that take incremental backups. */
  Optional<Manifest> previousBackup();

  /** Reports progress in the source's own units; see {@link BackupEvent.SourceProgress}. */
  void progress(String unit, long done, long total, String message);

  /** Reports a problem that does not fail the backup (a file that vanished while being read). */
  void warn(String message);

  /** How many parts the caller allows to be written at once. */
  int parallelism();

  /** The caller's cancellation signal; poll it between units of work. */
  Cancellation cancellation();

  /** A private (0700) directory for temporary files, deleted when the backup ends. */
  Path temporaryDirectory() throws IOException;
}
