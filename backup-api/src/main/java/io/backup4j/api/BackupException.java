package io.backup4j.api;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The root of every exception backup4j throws, carrying an {@link ErrorCode}.
 *
 * <p>Messages name the problem and, where there is one, the fix. They never contain passwords, keys or unredacted
 * URIs: code that builds a message from a URI passes it through {@link Redaction#redact(String)} first.
 */
public class BackupException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ErrorCode code;

  /** Creates an exception with a code and a message. */
  public BackupException(ErrorCode code, String message) {
    this(code, message, null);
  }

  /** Creates an exception with a code, a message and the underlying cause. */
  public BackupException(ErrorCode code, String message, @Nullable Throwable cause) {
    super(Objects.requireNonNull(message, "message is null"), cause);
    this.code = Objects.requireNonNull(code, "code is null");
  }

  /** What went wrong. */
  public ErrorCode code() {
    return code;
  }

  @Override
  public String toString() {
    return getClass().getName() + " [" + code + "]: " + getMessage();
  }
}
