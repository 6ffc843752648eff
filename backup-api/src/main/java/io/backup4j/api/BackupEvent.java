package io.backup4j.api;

import java.time.Duration;
import java.util.Objects;

/**
 * Progress and lifecycle of an operation, delivered to a {@link BackupListener}. Events of one operation arrive in
 * order per part; parts written in parallel interleave.
 */
public sealed interface BackupEvent {
  /** The operation this event belongs to. */
  Operation operation();

  /** The backup concerned. */
  BackupId backupId();

  /**
   * The operation started.
   *
   * @param operation the operation
   * @param backupId the backup
   * @param description what is being backed up, restored or verified (redacted)
   */
  record Started(Operation operation, BackupId backupId, String description) implements BackupEvent {
    /** Validates. */
    public Started {
      Objects.requireNonNull(description);
    }
  }

  /**
   * A part started.
   *
   * @param operation the operation
   * @param backupId the backup
   * @param part the part's name
   * @param expectedBytes the raw size if known (restore, verify), or -1
   */
  record PartStarted(Operation operation, BackupId backupId, String part, long expectedBytes) implements BackupEvent {}

  /**
   * Raw bytes passed through a part so far; sent at most every few MiB.
   *
   * @param operation the operation
   * @param backupId the backup
   * @param part the part's name
   * @param bytes raw bytes so far
   * @param expectedBytes the raw size if known, or -1
   */
  record PartProgress(Operation operation, BackupId backupId, String part, long bytes, long expectedBytes)
      implements BackupEvent {}

  /**
   * A part finished.
   *
   * @param operation the operation
   * @param backupId the backup
   * @param part the part
   */
  record PartFinished(Operation operation, BackupId backupId, PartInfo part) implements BackupEvent {}

  /**
   * Progress in the source's own units (tables, files, keys).
   *
   * @param operation the operation
   * @param backupId the backup
   * @param unit what is counted, e.g. {@code tables}
   * @param done units done
   * @param total units in all, or -1 if unknown
   * @param message a short human-readable status, possibly empty
   */
  record SourceProgress(Operation operation, BackupId backupId, String unit, long done, long total, String message)
      implements BackupEvent {}

  /**
   * A warning that did not stop the operation (a stale lock broken, an orphan cleaned, a file that vanished).
   *
   * @param operation the operation
   * @param backupId the backup
   * @param message the warning
   */
  record Warning(Operation operation, BackupId backupId, String message) implements BackupEvent {}

  /**
   * The operation succeeded.
   *
   * @param operation the operation
   * @param backupId the backup
   * @param rawBytes raw bytes processed
   * @param storedBytes stored bytes processed
   * @param elapsed wall time
   */
  record Finished(Operation operation, BackupId backupId, long rawBytes, long storedBytes, Duration elapsed)
      implements BackupEvent {}

  /**
   * The operation failed; nothing it wrote is visible.
   *
   * @param operation the operation
   * @param backupId the backup
   * @param error the failure
   */
  record Failed(Operation operation, BackupId backupId, BackupException error) implements BackupEvent {}
}
