package io.backup4j.api;

import org.jspecify.annotations.Nullable;

/** Stored data failed a checksum, length or authentication check, or could not be decoded. Never retried; the data must not be used. */
public class IntegrityException extends BackupException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that names the problem and the fix. */
  public IntegrityException(String message) {
    super(ErrorCode.INTEGRITY, message);
  }

  /** Creates the exception with a message and the underlying cause. */
  public IntegrityException(String message, @Nullable Throwable cause) {
    super(ErrorCode.INTEGRITY, message, cause);
  }
}
