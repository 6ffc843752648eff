package io.backup4j.api;

/** The kinds of operation that report {@link BackupEvent}s. */
public enum Operation {
  /** Taking a backup. */
  BACKUP,
  /** Restoring a backup. */
  RESTORE,
  /** Reading a backup back to check it. */
  VERIFY,
  /** Deleting a backup. */
  DELETE,
  /** Applying a retention policy. */
  RETENTION
}
