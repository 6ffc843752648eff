package io.backup4j.api;

import org.jspecify.annotations.Nullable;

/** A create-only write found the object already present. */
public class AlreadyExistsException extends BackupException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that names the problem and the fix. */
  public AlreadyExistsException(String message) {
    super(ErrorCode.ALREADY_EXISTS, message);
  }

  /** Creates the exception with a message and the underlying cause. */
  public AlreadyExistsException(String message, @Nullable Throwable cause) {
    super(ErrorCode.ALREADY_EXISTS, message, cause);
  }
}
