package io.backup4j.api;

import java.time.Instant;
import java.util.Objects;

/**
 * An object stored in a {@link BackupSink}.
 *
 * @param key the object's key, relative to the sink's root
 * @param size the length in bytes
 * @param lastModified when it was last written, as reported by the storage
 */
public record ObjectInfo(String key, long size, Instant lastModified) {
  /** Validates the components. */
  public ObjectInfo {
    Objects.requireNonNull(key, "key is null");
    Objects.requireNonNull(lastModified, "lastModified is null");
    if (size < 0) {
      throw new IllegalArgumentException("size < 0: " + size);
    }
  }
}
