package io.backup4j.api;

import org.jspecify.annotations.Nullable;

/** The storage failed or refused. */
public class SinkException extends BackupException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that names the problem and the fix. */
  public SinkException(String message) {
    super(ErrorCode.SINK_FAILURE, message);
  }

  /** Creates the exception with a message and the underlying cause. */
  public SinkException(String message, @Nullable Throwable cause) {
    super(ErrorCode.SINK_FAILURE, message, cause);
  }
}
