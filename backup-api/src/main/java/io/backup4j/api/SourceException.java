package io.backup4j.api;

import org.jspecify.annotations.Nullable;

/** The data source (database, server, directory) failed or refused. */
public class SourceException extends BackupException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that names the problem and the fix. */
  public SourceException(String message) {
    super(ErrorCode.SOURCE_FAILURE, message);
  }

  /** Creates the exception with a message and the underlying cause. */
  public SourceException(String message, @Nullable Throwable cause) {
    super(ErrorCode.SOURCE_FAILURE, message, cause);
  }
}
