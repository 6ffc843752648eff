package io.backup4j.api;

/** The state of a backup as recorded in its manifest. */
public enum BackupStatus {
  /** Every part was written and committed before the manifest. The only status a committed manifest has today. */
  COMPLETE
}
