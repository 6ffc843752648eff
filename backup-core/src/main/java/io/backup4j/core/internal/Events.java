package io.backup4j.core.internal;

import io.backup4j.api.BackupEvent;
import io.backup4j.api.BackupListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Delivers events to a listener; a throwing listener is logged and never fails the operation. */
public final class Events {
  private static final Logger LOG = LoggerFactory.getLogger(Events.class);
  private final BackupListener listener;

  /** Wraps a listener. */
  public Events(BackupListener listener) {
    this.listener = listener;
  }

  /** Sends one event. */
  public void emit(BackupEvent event) {
    if (event instanceof BackupEvent.Warning w) {
      LOG.warn("{} {}: {}", w.operation(), w.backupId(), w.message());
    }
    try {
      listener.onEvent(event);
    } catch (RuntimeException e) {
      LOG.warn("backup listener {} threw on {}; ignored", listener.getClass().getName(), event.getClass().getSimpleName(), e);
    }
  }
}
