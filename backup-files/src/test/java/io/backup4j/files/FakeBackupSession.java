package io.backup4j.files;

import io.backup4j.api.BackupId;
import io.backup4j.api.BackupSession;
import io.backup4j.api.Cancellation;
import io.backup4j.api.Manifest;
import io.backup4j.api.PartInfo;
import io.backup4j.api.PartWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/** A backup session that stores parts as plain files in a directory; for unit tests of the source only. */
final class FakeBackupSession implements BackupSession {
  final Path dir;
  final Map<String, Path> parts = Collections.synchronizedMap(new TreeMap<>());
  final Map<String, String> metadata = Collections.synchronizedMap(new TreeMap<>());
  final List<String> warnings = Collections.synchronizedList(new ArrayList<>());
  final List<String> progress = Collections.synchronizedList(new ArrayList<>());
  final Cancellation cancellation = new Cancellation();
  int opened;
  Consumer<String> onProgress = m -> {};

  FakeBackupSession(Path dir) {
    this.dir = dir;
  }

  Path part() {
    Path p = parts.get(FilesSource.PART);
    if (p == null) {
      throw new AssertionError("no part " + FilesSource.PART + " was committed");
    }
    return p;
  }

  @Override
  public BackupId backupId() {
    return BackupId.generate(Instant.now());
  }

  @Override
  public PartWriter openPart(String name) throws IOException {
    PartInfo.validateName(name);
    opened++;
    Path tmp = dir.resolve(name + ".partial");
    Path done = dir.resolve(name);
    OutputStream os = Files.newOutputStream(tmp);
    return new PartWriter() {
      boolean committed;

      @Override
      public OutputStream stream() {
        return os;
      }

      @Override
      public void commit() throws IOException {
        os.close();
        Files.move(tmp, done);
        parts.put(name, done);
        committed = true;
      }

      @Override
      public void close() throws IOException {
        if (!committed) {
          os.close();
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
  public void setParent(BackupId parent) {
    throw new UnsupportedOperationException();
  }

  @Override
  public Optional<Manifest> previousBackup() {
    return Optional.empty();
  }

  @Override
  public void progress(String unit, long done, long total, String message) {
    progress.add(message);
    onProgress.accept(message);
  }

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
  public Path temporaryDirectory() {
    try {
      return Files.createDirectories(dir.resolve("tmp"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
