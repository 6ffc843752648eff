package io.backup4j.api;

/** What a write does when its key already exists. */
public enum WriteMode {
  /** Replace the existing object atomically on commit. */
  OVERWRITE,
  /**
   * Fail the commit with {@link AlreadyExistsException} if the key exists. Atomic where the sink reports
   * {@link SinkFeature#CONDITIONAL_CREATE}; otherwise checked just before commit, which leaves a short race.
   */
  CREATE_ONLY
}
