package io.backup4j.api;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * Decides which backups of one backup set have expired.
 *
 * <p>The engine applies the result only after the newest backup was committed (and verified, if asked), and adds
 * its own safety rules on top of any policy: the newest complete backup is never expired, nor any backup that a kept
 * backup depends on ({@link Manifest#parentId()}).
 */
public interface RetentionPolicy {
  /** A description for logs and reports, e.g. {@code keep last=7,daily=14}. */
  String describe();

  /**
   * Returns the ids of the backups that have expired.
   *
   * @param backupsNewestFirst the complete backups of one set, newest first
   * @param now the current time
   */
  Set<BackupId> expired(List<Manifest> backupsNewestFirst, Instant now);
}
