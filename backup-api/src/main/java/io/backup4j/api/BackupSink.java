package io.backup4j.api;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Storage for backups: a flat namespace of immutable objects under {@code /}-separated keys, relative to the
 * repository the sink was opened on ({@code file:/var/backups/repo}, {@code s3://bucket/prefix}).
 *
 * <p>Every method validates its key with {@link StorageKeys#validate(String)} first. Implementations are
 * thread-safe: the engine writes several parts at once. Failures of the storage itself are reported as
 * {@link SinkException} (or an {@link IOException} from stream methods); a missing object as
 * {@link NotFoundException}.
 *
 * <p>Third-party implementations prove their behaviour by extending the conformance suite in
 * {@code backup-testkit}.
 */
public interface BackupSink extends AutoCloseable {
  /** A description of the repository with credentials removed, e.g. {@code s3://bucket/prefix}. */
  String describe();

  /**
   * Opens a write of one object. Nothing is visible under {@code key} until {@link PartWriter#commit()}; a writer
   * closed without commit leaves no trace. Memory use is bounded whatever the object's length.
   *
   * @throws ConfigurationException if the key is invalid
   */
  PartWriter openWrite(String key, WriteMode mode) throws IOException;

  /**
   * Opens an object for reading from its start.
   *
   * @throws NotFoundException if there is no object with this key
   */
  InputStream openRead(String key) throws IOException;

  /**
   * Opens {@code length} bytes of an object starting at {@code offset}; fewer if the object ends first.
   *
   * @throws NotFoundException if there is no object with this key
   */
  InputStream openRead(String key, long offset, long length) throws IOException;

  /** The object's size and time, or empty if it does not exist. */
  Optional<ObjectInfo> stat(String key) throws IOException;

  /**
   * Lists the objects whose keys start with {@code prefix}, in ascending order of key (UTF-16 code unit order, as
   * {@link String#compareTo}). The stream may fetch pages lazily; close it when done.
   */
  Stream<ObjectInfo> list(String prefix) throws IOException;

  /** Deletes an object; deleting a missing object is not an error. */
  void delete(String key) throws IOException;

  /** Deletes several objects, in batches where the storage can. Missing objects are not an error. */
  default void deleteAll(Collection<String> keys) throws IOException {
    for (String key : keys) {
      delete(key);
    }
  }

  /**
   * Until when the object is protected from deletion (S3 Object Lock retention), or empty if it is not protected,
   * does not exist, or the sink has no immutability. Delete and prune ask before they change anything, so that a
   * protected backup is skipped with a clear message instead of failing half-way.
   */
  default Optional<Instant> retainedUntil(String key) throws IOException {
    return Optional.empty();
  }

  /**
   * Removes leftovers of interrupted writes that are older than {@code olderThan} (incomplete multipart uploads,
   * orphaned temporary files) and returns how many were removed. Such leftovers are never visible as objects; this
   * only reclaims space. The default does nothing and returns 0.
   */
  default int cleanup(java.time.Duration olderThan) throws IOException {
    return 0;
  }

  /** The optional features this sink supports. */
  default Set<SinkFeature> features() {
    return Set.of();
  }

  /** Releases clients and connections. */
  @Override
  default void close() throws IOException {}
}
