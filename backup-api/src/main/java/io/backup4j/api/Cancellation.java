package io.backup4j.api;

import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A cancellation signal shared between a caller and a running operation. Sources, sinks and the engine poll
 * {@link #throwIfCancelled()} between units of work (buffers, files, tables); callbacks registered with
 * {@link #onCancel(Runnable)} interrupt blocking work (kill a child process, close a socket).
 */
public final class Cancellation {
  private volatile boolean cancelled;
  private final CopyOnWriteArrayList<Runnable> callbacks = new CopyOnWriteArrayList<>();

  /** A new, not yet cancelled signal. */
  public Cancellation() {}

  /** Requests cancellation; idempotent. Runs registered callbacks once. */
  public void cancel() {
    if (cancelled) {
      return;
    }
    cancelled = true;
    for (Runnable r : callbacks) {
      try {
        r.run();
      } catch (RuntimeException e) {
        // a failing callback must not stop the others from running; the operation reports the cancellation itself
        Thread t = Thread.currentThread();
        t.getUncaughtExceptionHandler().uncaughtException(t, e);
      }
    }
    callbacks.clear();
  }

  /** Whether cancellation was requested. */
  public boolean isCancelled() {
    return cancelled;
  }

  /**
   * Throws if cancellation was requested.
   *
   * @throws CancelledException if cancelled
   */
  public void throwIfCancelled() {
    if (cancelled) {
      throw new CancelledException("operation cancelled");
    }
  }

  /** Registers a callback run on {@link #cancel()}; runs it at once if already cancelled. */
  public void onCancel(Runnable callback) {
    callbacks.add(callback);
    if (cancelled && callbacks.remove(callback)) {
      callback.run();
    }
  }
}
