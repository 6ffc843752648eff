package io.backup4j.api;

/**
 * Receives {@link BackupEvent}s. Called from the threads doing the work, so implementations must be fast and
 * thread-safe; an exception thrown by a listener is logged and otherwise ignored, it never fails a backup.
 */
@FunctionalInterface
public interface BackupListener {
  /** A listener that ignores every event. */
  BackupListener NONE = event -> {};

  /** Receives one event. */
  void onEvent(BackupEvent event);
}
