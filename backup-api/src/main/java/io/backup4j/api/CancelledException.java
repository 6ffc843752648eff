package io.backup4j.api;

import org.jspecify.annotations.Nullable;

/** The operation was cancelled through its {@link Cancellation}. */
public class CancelledException extends BackupException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that names the problem and the fix. */
  public CancelledException(String message) {
    super(ErrorCode.CANCELLED, message);
  }

  /** Creates the exception with a message and the underlying cause. */
  public CancelledException(String message, @Nullable Throwable cause) {
    super(ErrorCode.CANCELLED, message, cause);
  }
}
