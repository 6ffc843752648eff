package io.backup4j.files;

import io.backup4j.api.BackupId;
import io.backup4j.api.BackupStatus;
import io.backup4j.api.Cancellation;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.Manifest;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.RestoreSession;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A restore session serving {@code tree.tar} from a file; for unit tests of the target only. With
 * {@link #failAtEnd} it throws {@link IntegrityException} instead of returning end-of-stream, as the engine does for
 * a part whose SHA-256 does not match.
 */
final class FakeRestoreSession implements RestoreSession {
  private final Path tar;
  private final Map<String, String> metadata;
  final List<String> warnings = Collections.synchronizedList(new ArrayList<>());
  final Cancellation cancellation = new Cancellation();
  boolean failAtEnd;

  FakeRestoreSession(Path tar) {
    this(tar, Map.of());
  }

  FakeRestoreSession(Path tar, Map<String, String> metadata) {
    this.tar = tar;
    this.metadata = metadata;
  }

  @Override
  public Manifest manifest() {
    Instant now = Instant.now();
    return new Manifest(Manifest.FORMAT_VERSION, BackupId.generate(now), "files-test", "files", "files:/test",
        Map.of(), now, now, BackupStatus.COMPLETE, List.of(), List.of(), null, metadata, "test");
  }

  @Override
  public InputStream openPart(String name) throws IOException {
    if (!name.equals(FilesSource.PART)) {
      throw new NotFoundException("no part " + name);
    }
    InputStream in = Files.newInputStream(tar);
    if (!failAtEnd) {
      return in;
    }
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b < 0) {
          throw new IntegrityException("part tree.tar: SHA-256 mismatch");
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n < 0) {
          throw new IntegrityException("part tree.tar: SHA-256 mismatch");
        }
        return n;
      }
    };
  }

  @Override
  public void progress(String unit, long done, long total, String message) {}

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
    throw new UnsupportedOperationException();
  }
}
