package io.backup4j.api;

import org.jspecify.annotations.Nullable;

/** An invalid name, URI, option or argument, or a component that is not installed. */
public class ConfigurationException extends BackupException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception with a message that names the problem and the fix. */
  public ConfigurationException(String message) {
    super(ErrorCode.CONFIGURATION, message);
  }

  /** Creates the exception with a message and the underlying cause. */
  public ConfigurationException(String message, @Nullable Throwable cause) {
    super(ErrorCode.CONFIGURATION, message, cause);
  }
}
