package io.backup4j.api;

/** Optional abilities of a {@link BackupSink}, reported by {@link BackupSink#features()}. */
public enum SinkFeature {
  /** {@link WriteMode#CREATE_ONLY} is atomic: of two concurrent writers of one key, exactly one commit succeeds. */
  CONDITIONAL_CREATE,
  /** {@link BackupSink#openRead(String, long, long)} reads only the requested range instead of skipping. */
  RANGED_READ,
  /** Objects can be made immutable for a retention period (S3 Object Lock). */
  IMMUTABILITY
}
