package io.backup4j.core;

import io.backup4j.api.BackupId;
import io.backup4j.api.RestoreTarget;
import io.backup4j.api.spi.SourceProvider;
import org.jspecify.annotations.Nullable;

/**
 * A restore whose target is open before the backup to restore is chosen; from {@link Backups#prepareRestore}. It
 * restores once: {@link #restore} does what {@link Backups#restore(BackupId, RestoreJob)} does, into the target opened
 * already. {@link #close()} closes a target that was not used (a restore closes it itself), so a prepared restore
 * that is never run leaves no connection open.
 */
public final class PreparedRestore implements AutoCloseable {
  private final Backups backups;
  private final RestoreJob job;
  private final @Nullable SourceProvider provider;
  private @Nullable RestoreTarget target;
  private boolean used;

  PreparedRestore(Backups backups, RestoreJob job, @Nullable SourceProvider provider, @Nullable RestoreTarget target) {
    this.backups = backups;
    this.job = job;
    this.provider = provider;
    this.target = target;
  }

  /** The job this restore was prepared for. */
  public RestoreJob job() {
    return job;
  }

  /**
   * Restores backup {@code id} into the prepared target.
   *
   * @throws IllegalStateException if this prepared restore ran already or was closed
   * @throws io.backup4j.api.IntegrityException if a part is missing, damaged or cannot be decoded (with the right keys)
   */
  public synchronized void restore(BackupId id) {
    if (used) {
      throw new IllegalStateException("a prepared restore runs once; prepare another one for the next restore");
    }
    used = true;
    RestoreTarget t = target;
    target = null;
    backups.restore(id, job, provider, t);
  }

  /** Closes the target if no restore took it; a no-op after {@link #restore}. */
  @Override
  public synchronized void close() {
    used = true;
    RestoreTarget t = target;
    target = null;
    if (t != null) {
      try {
        t.close();
      } catch (Exception ignored) {
        // a target that was never used has nothing of the user's to lose
      }
    }
  }
}
