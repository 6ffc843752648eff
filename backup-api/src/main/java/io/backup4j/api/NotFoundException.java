package io.backup4j.api;

import org.jspecify.annotations.Nullable;

/** A backup, part, repository or stored object does not exist. */
public class NotFoundException extends BackupException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that names the problem and the fix. */
  public NotFoundException(String message) {
    super(ErrorCode.NOT_FOUND, message);
  }

  /** Creates the exception with a message and the underlying cause. */
  public NotFoundException(String message, @Nullable Throwable cause) {
    super(ErrorCode.NOT_FOUND, message, cause);
  }
}
