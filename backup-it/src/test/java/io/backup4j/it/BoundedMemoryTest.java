package io.backup4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.BackupSession;
import io.backup4j.api.BackupSource;
import io.backup4j.api.Manifest;
import io.backup4j.api.PartWriter;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming means bounded memory: a JVM limited to a 64 MiB heap backs up, verifies and reads back a part ten times
 * larger than its heap, once without transforms and once through zstd (two workers) then aes-gcm. If any stage
 * buffered a part, it would die with OutOfMemoryError.
 */
class BoundedMemoryTest {
  static final long SIZE = 640L << 20;

  /** Deterministic, incompressible-ish bytes without holding them: an xorshift stream. */
  static void fill(byte[] buf, long[] state) {
    long x = state[0];
    for (int i = 0; i < buf.length; i += 8) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      for (int j = 0; j < 8 && i + j < buf.length; j++) {
        buf[i + j] = (byte) (x >>> (8 * j));
      }
    }
    state[0] = x;
  }

  public static void main(String[] args) throws Exception {
    Path repo = Path.of(args[0]);
    // args[1]: "-" for no transforms, else the aes-gcm key file to use after zstd
    String keyFile = args[1];
    Map<String, Map<String, String>> options = keyFile.equals("-") ? Map.of() : Map.of("aes-gcm", Map.of("keyFile", keyFile));
    try (Backups backups = Backups.builder().repository("file:" + repo).build()) {
      BackupJob.Builder job = BackupJob.builder();
      if (!keyFile.equals("-")) {
        job.transform("zstd", Map.of("level", "1", "workers", "2")).transform("aes-gcm", Map.of("keyFile", keyFile));
      }
      Manifest m = backups.backup(job.source(new BackupSource() {
        @Override
        public String kind() {
          return "files";
        }

        @Override
        public String identity() {
          return "generated";
        }

        @Override
        public void backup(BackupSession session) throws IOException {
          try (PartWriter w = session.openPart("big")) {
            byte[] buf = new byte[1 << 20];
            long[] state = {42};
            for (long done = 0; done < SIZE; done += buf.length) {
              fill(buf, state);
              w.stream().write(buf);
            }
            w.commit();
          }
        }
      }).build());
      if (m.transforms().size() != (keyFile.equals("-") ? 0 : 2)) {
        throw new IllegalStateException("unexpected transform chain " + m.transforms());
      }
      backups.verify(m.id(), options);
      // and read it back through the restore path, comparing with a regenerated stream
      try (InputStream in = backups.openPart(m.id(), "big", options)) {
        byte[] expected = new byte[1 << 20];
        byte[] actual = new byte[1 << 20];
        long[] state = {42};
        for (long done = 0; done < SIZE; done += expected.length) {
          fill(expected, state);
          int off = 0;
          while (off < actual.length) {
            int n = in.read(actual, off, actual.length - off);
            if (n < 0) {
              throw new IllegalStateException("short read at " + (done + off));
            }
            off += n;
          }
          if (!java.util.Arrays.equals(expected, actual)) {
            throw new IllegalStateException("mismatch in the MiB at " + done);
          }
        }
        if (in.read() != -1) {
          throw new IllegalStateException("trailing bytes");
        }
      }
      System.out.println("OK " + m.rawSize());
    }
  }

  @Test
  void aPartTenTimesTheHeapBacksUpVerifiesAndReadsBack(@TempDir Path dir) throws Exception {
    runChild(dir, "-");
  }

  @Test
  void aPartTenTimesTheHeapGoesThroughZstdAndAesGcmWithBoundedMemory(@TempDir Path dir) throws Exception {
    Path key = dir.resolve("backup.key");
    byte[] material = new byte[32];
    new java.security.SecureRandom().nextBytes(material);
    Files.writeString(key, java.util.HexFormat.of().formatHex(material));
    Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    runChild(dir, key.toString());
  }

  private static void runChild(Path dir, String keyFile) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path log = dir.resolve("child.log");
    Process p = new ProcessBuilder(java, "-Xmx64m", "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
        BoundedMemoryTest.class.getName(), dir.resolve("repo").toString(), keyFile)
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    boolean done = p.waitFor(5, TimeUnit.MINUTES);
    if (!done) {
      p.destroyForcibly();
    }
    String output = Files.readString(log);
    assertThat(done).as("child finished: %s", output).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("OK " + SIZE);
  }
}
