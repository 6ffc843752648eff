package io.backup4j.core.internal;

import io.backup4j.api.BackupId;

/**
 * Where things live in a repository. All keys are relative to the sink's root.
 *
 * <pre>
 * backup4j.repo                   repository marker: {"formatVersion": "1", "createdAt": ...}
 * catalog/&lt;id&gt;.json              committed manifests: a backup is visible iff its manifest is here
 * data/&lt;id&gt;/&lt;part&gt;&lt;suffix&gt;       part objects, written before the manifest
 * pending/&lt;id&gt;.json              in-flight marker, written before the first part and removed after the manifest
 *                                 is committed (backup) or the data is gone (delete); a marker whose backup set is
 *                                 not locked belongs to a dead process and its data is an orphan
 * locks/&lt;backup set&gt;.lock        lease lock of a backup set
 * </pre>
 */
public final class Layout {
  /** The repository marker. */
  public static final String MARKER = "backup4j.repo";
  /** Prefix of manifests. */
  public static final String CATALOG = "catalog/";
  /** Prefix of part data. */
  public static final String DATA = "data/";
  /** Prefix of in-flight markers. */
  public static final String PENDING = "pending/";
  /** Prefix of locks. */
  public static final String LOCKS = "locks/";

  private Layout() {}

  /** The manifest key of a backup. */
  public static String manifest(BackupId id) {
    return CATALOG + id.value() + ".json";
  }

  /** The prefix under which a backup's parts are stored. */
  public static String dataPrefix(BackupId id) {
    return DATA + id.value() + "/";
  }

  /** The in-flight marker of a backup. */
  public static String pending(BackupId id) {
    return PENDING + id.value() + ".json";
  }

  /** The lock of a backup set. */
  public static String lock(String backupSet) {
    return LOCKS + backupSet + ".lock";
  }

  /** The id in a catalog or pending key, or null if the key is not one. */
  public static @org.jspecify.annotations.Nullable BackupId idOf(String key, String prefix) {
    if (!key.startsWith(prefix) || !key.endsWith(".json")) {
      return null;
    }
    String v = key.substring(prefix.length(), key.length() - ".json".length());
    try {
      return BackupId.of(v);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
