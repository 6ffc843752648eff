package io.backup4j.api;

import org.jspecify.annotations.Nullable;

/** A key is missing or wrong, or a credential was refused. */
public class AccessDeniedException extends BackupException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that names the problem and the fix. */
  public AccessDeniedException(String message) {
    super(ErrorCode.ACCESS_DENIED, message);
  }

  /** Creates the exception with a message and the underlying cause. */
  public AccessDeniedException(String message, @Nullable Throwable cause) {
    super(ErrorCode.ACCESS_DENIED, message, cause);
  }
}
