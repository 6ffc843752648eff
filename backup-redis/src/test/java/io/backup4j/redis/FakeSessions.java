package io.backup4j.redis;

import io.backup4j.api.BackupId;
import io.backup4j.api.BackupSession;
import io.backup4j.api.BackupStatus;
import io.backup4j.api.Cancellation;
import io.backup4j.api.Manifest;
import io.backup4j.api.PartInfo;
import io.backup4j.api.PartWriter;
import io.backup4j.api.RestoreSession;
import io.backup4j.api.Secret;
import io.backup4j.api.spi.ProviderContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Minimal in-test sessions for unit-level tests of the source and targets without the engine: parts become files
 * in a directory only on commit. The end-to-end tests use the real engine (Backups) instead.
 */
final class FakeSessions {
  private FakeSessions() {}

  static ProviderContext context(Map<String, String> secrets, Path tmp) {
    return new ProviderContext() {
      @Override
      public Optional<String> environment(String name) {
        return Optional.empty();
      }

      @Override
      public Optional<Secret> secret(String name) {
        return Optional.ofNullable(secrets.get(name)).map(Secret::of);
      }

      @Override
      public Path temporaryDirectory() {
        return tmp;
      }
    };
  }

  static final class Backup implements BackupSession {
    final Path dir;
    final Map<String, String> metadata = new ConcurrentHashMap<>();
    final List<String> committed = new CopyOnWriteArrayList<>();
    final List<String> warnings = new CopyOnWriteArrayList<>();
    final Cancellation cancellation = new Cancellation();
    final Instant started = Instant.now();
    /** When set, writes to a part wait until it is opened: a sink that stalls. */
    volatile java.util.concurrent.@org.jspecify.annotations.Nullable CountDownLatch partWriteGate;
    /** When set, {@link #temporaryDirectory()} throws it (after counting down {@link #temporaryDirectoryFailed}). */
    volatile @org.jspecify.annotations.Nullable Error temporaryDirectoryError;
    final java.util.concurrent.CountDownLatch temporaryDirectoryFailed = new java.util.concurrent.CountDownLatch(1);
    /**
     * Counted down by every successful {@link #temporaryDirectory()} call. In a replication backup only the spool
     * asks for it, on its first spill to a file: a test awaits this to know that the spool spilled.
     */
    final java.util.concurrent.CountDownLatch temporaryDirectoryRequested = new java.util.concurrent.CountDownLatch(1);

    Backup(Path dir) {
      this.dir = dir;
    }

    @Override
    public BackupId backupId() {
      return BackupId.generate(started);
    }

    @Override
    public PartWriter openPart(String name) throws IOException {
      PartInfo.validateName(name);
      Path tmp = dir.resolve(name + ".partial");
      OutputStream file = Files.newOutputStream(tmp);
      OutputStream out = new java.io.FilterOutputStream(file) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          java.util.concurrent.CountDownLatch gate = partWriteGate;
          if (gate != null) {
            try {
              gate.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new java.io.InterruptedIOException();
            }
          }
          file.write(b, off, len);
        }
      };
      return new PartWriter() {
        boolean done;

        @Override
        public OutputStream stream() {
          return out;
        }

        @Override
        public void commit() throws IOException {
          out.close();
          Files.move(tmp, dir.resolve(name));
          committed.add(name);
          done = true;
        }

        @Override
        public void close() throws IOException {
          out.close();
          if (!done) {
            Files.deleteIfExists(tmp);
          }
        }
      };
    }

    @Override
    public void putMetadata(String key, String value) {
      metadata.put(key, value);
    }

    @Override
    public void setParent(BackupId parent) {}

    @Override
    public Optional<Manifest> previousBackup() {
      return Optional.empty();
    }

    @Override
    public void progress(String unit, long done, long total, String message) {}

    @Override
    public void warn(String message) {
      warnings.add(message);
    }

    @Override
    public int parallelism() {
      return 1;
    }

    @Override
    public Cancellation cancellation() {
      return cancellation;
    }

    @Override
    public Path temporaryDirectory() throws IOException {
      Error error = temporaryDirectoryError;
      if (error != null) {
        temporaryDirectoryFailed.countDown();
        throw error;
      }
      Path t = dir.resolve(".tmp");
      Files.createDirectories(t);
      temporaryDirectoryRequested.countDown();
      return t;
    }

    /** Files in the part directory (committed parts and leftovers), excluding the temporary directory. */
    List<String> files() throws IOException {
      List<String> names = new ArrayList<>();
      try (var s = Files.list(dir)) {
        s.map(p -> p.getFileName().toString()).filter(n -> !n.equals(".tmp")).forEach(names::add);
      }
      return names;
    }

    Manifest manifest() throws IOException {
      List<PartInfo> parts = new ArrayList<>();
      for (String name : committed) {
        parts.add(new PartInfo(name, "data/x/" + name, Files.size(dir.resolve(name)), Files.size(dir.resolve(name)),
            "0".repeat(64), "0".repeat(64)));
      }
      return new Manifest(Manifest.FORMAT_VERSION, backupId(), "test", "redis", "redis://test", Map.of(), started,
          Instant.now(), BackupStatus.COMPLETE, parts, List.of(), null, metadata, "test");
    }
  }

  static final class Restore implements RestoreSession {
    final Manifest manifest;
    final Path dir;
    final Path tmp;
    final List<String> warnings = new CopyOnWriteArrayList<>();
    final Cancellation cancellation = new Cancellation();
    /** When set, runs on every progress report, on the restoring thread. */
    volatile @org.jspecify.annotations.Nullable Runnable onProgress;

    Restore(Manifest manifest, Path dir, Path tmp) {
      this.manifest = manifest;
      this.dir = dir;
      this.tmp = tmp;
    }

    @Override
    public Manifest manifest() {
      return manifest;
    }

    @Override
    public InputStream openPart(String name) throws IOException {
      return Files.newInputStream(dir.resolve(name));
    }

    @Override
    public void progress(String unit, long done, long total, String message) {
      Runnable hook = onProgress;
      if (hook != null) {
        hook.run();
      }
    }

    @Override
    public void warn(String message) {
      warnings.add(message);
    }

    @Override
    public Cancellation cancellation() {
      return cancellation;
    }

    @Override
    public Path temporaryDirectory() throws IOException {
      Files.createDirectories(tmp);
      return tmp;
    }
  }
}
