package io.backup4j.api;

import org.jspecify.annotations.Nullable;

/** Another process holds the lock of a repository and backup set. */
public class LockedException extends BackupException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that names the problem and the fix. */
  public LockedException(String message) {
    super(ErrorCode.LOCKED, message);
  }

  /** Creates the exception with a message and the underlying cause. */
  public LockedException(String message, @Nullable Throwable cause) {
    super(ErrorCode.LOCKED, message, cause);
  }
}
