package io.backup4j.api;

/**
 * What went wrong, in a form a caller can act on. Each code belongs to a {@link Category} that says whether retrying
 * can help.
 */
public enum ErrorCode {
  /** A name, URI, option or argument is invalid or names nothing that is installed. */
  CONFIGURATION(Category.USER_ERROR),
  /** A backup, part, repository or object does not exist. */
  NOT_FOUND(Category.USER_ERROR),
  /** An object that must be created does already exist (a create-only write lost a race). */
  ALREADY_EXISTS(Category.CONFLICT),
  /** Another process holds the lock of this repository and backup set. */
  LOCKED(Category.CONFLICT),
  /** Stored data does not match its recorded checksum, length or authentication tag, or cannot be decoded. */
  INTEGRITY(Category.INTEGRITY),
  /** The data source (database, directory, server) failed or refused. */
  SOURCE_FAILURE(Category.UNAVAILABLE),
  /** The storage failed or refused. */
  SINK_FAILURE(Category.UNAVAILABLE),
  /** A key is missing or wrong, or a credential was refused. */
  ACCESS_DENIED(Category.USER_ERROR),
  /** The operation was cancelled by the caller. */
  CANCELLED(Category.CANCELLED),
  /** A bug or an unexpected state in backup4j or a plugin. */
  INTERNAL(Category.INTERNAL);

  /** The broad class of a failure, for callers deciding whether to retry, alert or fix input. */
  public enum Category {
    /** The input is wrong; retrying the same call fails again. */
    USER_ERROR,
    /** A concurrent operation is in the way; retrying later may succeed. */
    CONFLICT,
    /** A remote system failed; retrying later may succeed. */
    UNAVAILABLE,
    /** Data is damaged or was tampered with; never retried, always alerted. */
    INTEGRITY,
    /** The caller asked to stop. */
    CANCELLED,
    /** A defect. */
    INTERNAL
  }

  private final Category category;

  ErrorCode(Category category) {
    this.category = category;
  }

  /** The category this code belongs to. */
  public Category category() {
    return category;
  }
}
