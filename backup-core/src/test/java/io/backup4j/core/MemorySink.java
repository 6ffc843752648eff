package io.backup4j.core;

import io.backup4j.api.AlreadyExistsException;
import io.backup4j.api.BackupSink;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.ObjectInfo;
import io.backup4j.api.PartWriter;
import io.backup4j.api.SinkFeature;
import io.backup4j.api.StorageKeys;
import io.backup4j.api.WriteMode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/** An in-memory sink for unit tests of the engine, with fault injection. */
final class MemorySink implements BackupSink {
  final ConcurrentSkipListMap<String, byte[]> objects = new ConcurrentSkipListMap<>();
  /** Fail a write once this many bytes were written to objects under data/ in total; -1 = never. */
  volatile long failAfterDataBytes = -1;
  private final AtomicLong dataBytes = new AtomicLong();
  final List<String> aborted = new ArrayList<>();
  /** Keys under retention until the given time (like S3 Object Lock): delete refuses them. */
  final java.util.Map<String, Instant> retained = new java.util.concurrent.ConcurrentHashMap<>();
  /** Simulates a create-only commit of a catalog entry whose answer was lost: stored, then reported as existing. */
  volatile boolean loseManifestAnswer;
  /** Whether retainedUntil hides the retention (a storage that only refuses at delete time). */
  volatile boolean hideRetention;
  /** Simulates a commit of a catalog entry that was stored but answered with an I/O error (a lost response). */
  volatile boolean failManifestAnswer;
  /** How many following reads of catalog entries fail with an I/O error (the storage is unreachable). */
  final AtomicLong failCatalogReads = new AtomicLong();
  /** Retention of every data and catalog object (like an S3 bucket's default Object Lock retention), if set. */
  volatile @org.jspecify.annotations.Nullable Instant retainAllUntil;
  /** Lock objects committed so far. */
  final AtomicLong lockCommits = new AtomicLong();
  /** Whether deleting an in-flight marker fails with an I/O error. */
  volatile boolean failPendingDeletes;
  /** Runs once, before the next write of a lock object, then is cleared. */
  volatile @org.jspecify.annotations.Nullable Runnable beforeLockWrite;

  @Override
  public String describe() {
    return "memory";
  }

  @Override
  public PartWriter openWrite(String key, WriteMode mode) {
    StorageKeys.validate(key);
    Runnable hook = beforeLockWrite;
    if (hook != null && key.startsWith("locks/")) {
      beforeLockWrite = null;
      hook.run();
    }
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    OutputStream out = new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (key.startsWith("data/") && failAfterDataBytes >= 0 && dataBytes.addAndGet(len) > failAfterDataBytes) {
          throw new IOException("injected storage failure");
        }
        buf.write(b, off, len);
      }
    };
    return new PartWriter() {
      boolean committed;

      @Override
      public OutputStream stream() {
        return out;
      }

      @Override
      public void commit() throws IOException {
        if (committed) {
          return;
        }
        byte[] bytes = buf.toByteArray();
        if (mode == WriteMode.CREATE_ONLY && failManifestAnswer && key.startsWith("catalog/")) {
          objects.put(key, bytes);
          throw new IOException("connection reset (the object was stored, the answer was lost): " + key);
        }
        if (mode == WriteMode.CREATE_ONLY && loseManifestAnswer && key.startsWith("catalog/")) {
          objects.put(key, bytes);
          throw new AlreadyExistsException("exists (the first answer was lost): " + key);
        }
        if (mode == WriteMode.CREATE_ONLY) {
          if (objects.putIfAbsent(key, bytes) != null) {
            throw new AlreadyExistsException("exists: " + key);
          }
        } else {
          objects.put(key, bytes);
        }
        committed = true;
        if (key.startsWith("locks/")) {
          lockCommits.incrementAndGet();
        }
      }

      @Override
      public void close() {
        if (!committed) {
          synchronized (aborted) {
            aborted.add(key);
          }
        }
      }
    };
  }

  @Override
  public InputStream openRead(String key) throws IOException {
    StorageKeys.validate(key);
    if (key.startsWith("catalog/") && failCatalogReads.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new IOException("injected read failure of " + key);
    }
    byte[] b = objects.get(key);
    if (b == null) {
      throw new NotFoundException("no object " + key);
    }
    return new ByteArrayInputStream(b);
  }

  @Override
  public InputStream openRead(String key, long offset, long length) {
    byte[] b = objects.get(StorageKeys.validate(key));
    if (b == null) {
      throw new NotFoundException("no object " + key);
    }
    int from = (int) Math.min(offset, b.length);
    int to = (int) Math.min(b.length, from + length);
    return new ByteArrayInputStream(Arrays.copyOfRange(b, from, to));
  }

  @Override
  public Optional<ObjectInfo> stat(String key) {
    StorageKeys.validate(key);
    byte[] b = objects.get(key);
    return b == null ? Optional.empty() : Optional.of(new ObjectInfo(key, b.length, Instant.now()));
  }

  @Override
  public Stream<ObjectInfo> list(String prefix) {
    StorageKeys.validatePrefix(prefix);
    return objects.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
        .map(e -> new ObjectInfo(e.getKey(), e.getValue().length, Instant.now())).toList().stream();
  }

  @Override
  public void delete(String key) throws IOException {
    StorageKeys.validate(key);
    if (failPendingDeletes && key.startsWith("pending/")) {
      throw new IOException("injected delete failure of " + key);
    }
    Instant until = retentionOf(key);
    if (until != null && until.isAfter(Instant.now())) {
      throw new io.backup4j.api.AccessDeniedException("object " + key + " is retained until " + until);
    }
    objects.remove(key);
  }

  @Override
  public Optional<Instant> retainedUntil(String key) {
    return hideRetention ? Optional.empty() : Optional.ofNullable(retentionOf(key));
  }

  private @org.jspecify.annotations.Nullable Instant retentionOf(String key) {
    Instant all = retainAllUntil;
    return all != null && (key.startsWith("data/") || key.startsWith("catalog/")) ? all : retained.get(key);
  }

  @Override
  public Set<SinkFeature> features() {
    return Set.of(SinkFeature.CONDITIONAL_CREATE);
  }

  List<String> keys(String prefix) {
    return objects.keySet().stream().filter(k -> k.startsWith(prefix)).toList();
  }
}
