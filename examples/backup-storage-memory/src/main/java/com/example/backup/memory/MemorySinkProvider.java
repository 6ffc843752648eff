package com.example.backup.memory;

import io.backup4j.api.AlreadyExistsException;
import io.backup4j.api.BackupSink;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.ObjectInfo;
import io.backup4j.api.PartWriter;
import io.backup4j.api.SinkFeature;
import io.backup4j.api.StorageKeys;
import io.backup4j.api.WriteMode;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.SinkProvider;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;

/**
 * Opens in-memory repositories: {@code memory://name}. Every repository of one name in this JVM is the same, so a
 * backup written through one sink can be restored through another, until {@link #drop(String)} or JVM exit.
 *
 * <p>Objects live in the heap, whole: this plugin is for tests and demonstrations, not for real backups, and it does
 * not keep memory bounded for large objects as a real sink must. It takes no options.
 */
public final class MemorySinkProvider implements SinkProvider {
  /** Repositories by name. Each maps keys, sorted as {@link String#compareTo} sorts them, to objects. */
  private static final Map<String, ConcurrentSkipListMap<String, Blob>> REPOSITORIES = new ConcurrentHashMap<>();

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public MemorySinkProvider() {}

  /** The name, and the URI scheme, the engine finds this provider by. */
  @Override
  public String name() {
    return "memory";
  }

  @Override
  public String description() {
    return "memory: repository in the JVM heap, for tests, e.g. memory://test; no options";
  }

  /**
   * Opens the repository named by the URI's authority ({@code memory://name}).
   *
   * @throws ConfigurationException if the URI has no name, has a path or query, or any option is given
   * @throws NotFoundException if {@code create} is false and no repository of that name exists
   */
  @Override
  public BackupSink open(URI location, Map<String, String> options, boolean create, ProviderContext context) {
    if (!"memory".equalsIgnoreCase(location.getScheme())) {
      throw new ConfigurationException("not a memory: URI: " + location + "; use memory://name");
    }
    String name = location.getAuthority();
    if (name == null || name.isEmpty() || !name.matches("[A-Za-z0-9._-]+")) {
      throw new ConfigurationException("a memory: URI names its repository as memory://name (letters, digits, "
          + "'.', '_', '-'), not " + location);
    }
    if ((location.getPath() != null && !location.getPath().isEmpty() && !location.getPath().equals("/"))
        || location.getQuery() != null || location.getFragment() != null) {
      throw new ConfigurationException("a memory: URI is just memory://name, without path, query or fragment: "
          + location);
    }
    // Options are the plugin's own configuration. We have none, so each one is an error, never silently ignored.
    if (!options.isEmpty()) {
      throw new ConfigurationException("unknown option(s) " + new java.util.TreeSet<>(options.keySet())
          + " for memory: repositories; they take none");
    }
    ConcurrentSkipListMap<String, Blob> objects = create
        ? REPOSITORIES.computeIfAbsent(name, n -> new ConcurrentSkipListMap<>())
        : REPOSITORIES.get(name);
    if (objects == null) {
      throw new NotFoundException("no memory repository named '" + name + "' in this JVM; write a backup to "
          + "memory://" + name + " first, or fix the name");
    }
    return new MemorySink(name, objects);
  }

  /** Forgets the repository {@code name} and everything in it. */
  public static void drop(String name) {
    REPOSITORIES.remove(name);
  }

  /** A stored object: its bytes and the time it was committed. */
  private record Blob(byte[] data, Instant lastModified) {}

  /** The storage. Thread-safe: the engine writes several parts at once. */
  private static final class MemorySink implements BackupSink {
    private final String name;
    private final ConcurrentSkipListMap<String, Blob> objects;

    MemorySink(String name, ConcurrentSkipListMap<String, Blob> objects) {
      this.name = name;
      this.objects = objects;
    }

    @Override
    public String describe() {
      return "memory://" + name;
    }

    /** Commits are a single putIfAbsent, so create-only is atomic; ranged reads copy nothing. */
    @Override
    public Set<SinkFeature> features() {
      return Set.of(SinkFeature.CONDITIONAL_CREATE, SinkFeature.RANGED_READ);
    }

    @Override
    public PartWriter openWrite(String key, WriteMode mode) {
      StorageKeys.validate(key); // first, always: before the key is used for anything
      Objects.requireNonNull(mode, "mode is null");
      return new MemoryWriter(key, mode);
    }

    /** Buffers the bytes privately; nothing is visible under the key until commit. */
    private final class MemoryWriter implements PartWriter {
      private final String key;
      private final WriteMode mode;
      private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      private final OutputStream stream = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          checkOpen();
          buffer.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          checkOpen();
          buffer.write(b, off, len);
        }
      };
      private boolean committed;
      private boolean closed;

      MemoryWriter(String key, WriteMode mode) {
        this.key = key;
        this.mode = mode;
      }

      private void checkOpen() throws IOException {
        if (committed || closed) {
          throw new IOException("the write of '" + key + "' is already committed or aborted");
        }
      }

      @Override
      public OutputStream stream() {
        // Closing this stream does not commit: the engine closes its stream chain first, then calls commit().
        return stream;
      }

      @Override
      public void commit() {
        if (committed) {
          return; // idempotent once it succeeded
        }
        if (closed) {
          throw new IllegalStateException("the write of '" + key + "' was aborted; open a new one");
        }
        Blob blob = new Blob(buffer.toByteArray(), Instant.now());
        if (mode == WriteMode.CREATE_ONLY) {
          // Atomic: of concurrent create-only writers of one key exactly one succeeds.
          if (objects.putIfAbsent(key, blob) != null) {
            closed = true;
            throw new AlreadyExistsException("'" + key + "' already exists in " + describe());
          }
        } else {
          objects.put(key, blob); // replaces the old object in one step: readers see old or new, never a mix
        }
        committed = true;
      }

      @Override
      public void close() {
        // Abort unless committed: drop the buffered bytes. Nothing was ever visible, so nothing is removed.
        closed = true;
        buffer.reset();
      }
    }

    @Override
    public InputStream openRead(String key) {
      return openRead(key, 0, Long.MAX_VALUE);
    }

    @Override
    public InputStream openRead(String key, long offset, long length) {
      StorageKeys.validate(key);
      if (offset < 0 || length < 0) {
        throw new IllegalArgumentException("offset and length must be >= 0");
      }
      Blob blob = objects.get(key);
      if (blob == null) {
        throw new NotFoundException("no object '" + key + "' in " + describe());
      }
      int start = (int) Math.min(offset, blob.data().length);
      int count = (int) Math.min(length, blob.data().length - start);
      return new ByteArrayInputStream(blob.data(), start, count);
    }

    @Override
    public Optional<ObjectInfo> stat(String key) {
      StorageKeys.validate(key);
      Blob blob = objects.get(key);
      return blob == null ? Optional.empty() : Optional.of(info(key, blob));
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) {
      StorageKeys.validatePrefix(prefix);
      // The map is sorted by String.compareTo, the order the contract asks for: start at the prefix and stop at the
      // first key that does not have it.
      ConcurrentNavigableMap<String, Blob> tail = objects.tailMap(prefix, true);
      return tail.entrySet().stream()
          .takeWhile(e -> e.getKey().startsWith(prefix))
          .map(e -> info(e.getKey(), e.getValue()));
    }

    @Override
    public void delete(String key) {
      StorageKeys.validate(key);
      objects.remove(key); // a missing key is not an error
    }

    @Override
    public void deleteAll(Collection<String> keys) {
      List<String> copy = List.copyOf(keys);
      copy.forEach(StorageKeys::validate); // all or nothing: a bad key in the batch deletes nothing
      copy.forEach(objects::remove);
    }

    private static ObjectInfo info(String key, Blob blob) {
      return new ObjectInfo(key, blob.data().length, blob.lastModified());
    }
  }
}
