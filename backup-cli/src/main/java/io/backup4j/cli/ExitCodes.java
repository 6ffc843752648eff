package io.backup4j.cli;

import io.backup4j.api.BackupException;

/**
 * The documented exit codes of {@code backup4j}.
 *
 * <pre>
 *  0  success
 *  1  internal error (a bug: please report it)
 *  2  usage or configuration error (bad option, URI, name; component not installed)
 *  3  not found (backup, part, repository)
 *  4  integrity failure (damaged, truncated or tampered data; verification failed)
 *  5  source or storage unavailable or failed (retrying later may help)
 *  6  conflict (the backup set is locked by another process)
 *  7  access denied (wrong or missing key, refused credentials)
 *  130 cancelled (interrupted)
 * </pre>
 */
public final class ExitCodes {
  /** Success. */
  public static final int OK = 0;
  /** A bug. */
  public static final int INTERNAL = 1;
  /** Usage or configuration error. */
  public static final int USAGE = 2;
  /** Not found. */
  public static final int NOT_FOUND = 3;
  /** Integrity failure. */
  public static final int INTEGRITY = 4;
  /** Source or storage failed. */
  public static final int UNAVAILABLE = 5;
  /** Locked by another process. */
  public static final int CONFLICT = 6;
  /** Wrong or missing key or credentials. */
  public static final int ACCESS_DENIED = 7;
  /** Cancelled. */
  public static final int CANCELLED = 130;

  private ExitCodes() {}

  /** The exit code for an exception. */
  public static int of(BackupException e) {
    return switch (e.code()) {
      case CONFIGURATION -> USAGE;
      case NOT_FOUND -> NOT_FOUND;
      case INTEGRITY -> INTEGRITY;
      case SOURCE_FAILURE, SINK_FAILURE -> UNAVAILABLE;
      case ALREADY_EXISTS, LOCKED -> CONFLICT;
      case ACCESS_DENIED -> ACCESS_DENIED;
      case CANCELLED -> CANCELLED;
      case INTERNAL -> INTERNAL;
    };
  }
}
