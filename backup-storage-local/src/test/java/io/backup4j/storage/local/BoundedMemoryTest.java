package io.backup4j.storage.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.BackupSink;
import io.backup4j.api.PartWriter;
import io.backup4j.api.WriteMode;
import io.backup4j.testkit.TestProviderContext;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writing and reading an object several times larger than the heap works: the sink never buffers it whole. */
class BoundedMemoryTest {
  private static final long SIZE = 128L * 1024 * 1024;

  @TempDir Path tmp;

  /** Runs in a forked JVM with a 16 MiB heap: writes SIZE bytes, reads them back, exits 0 if the lengths match. */
  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    byte[] chunk = new byte[256 * 1024];
    new Random(1).nextBytes(chunk);
    try (BackupSink sink = new LocalSinkProvider().open(root.toUri(), Map.of(), true, TestProviderContext.of(root))) {
      try (PartWriter w = sink.openWrite("big", WriteMode.OVERWRITE)) {
        OutputStream out = w.stream();
        for (long written = 0; written < SIZE; written += chunk.length) {
          out.write(chunk);
        }
        w.commit();
      }
      long read = 0;
      try (InputStream in = sink.openRead("big")) {
        int n;
        while ((n = in.read(chunk)) > 0) {
          read += n;
        }
      }
      System.exit(read == SIZE ? 0 : 2);
    }
  }

  @Test
  void objectEightTimesTheHeapIsWrittenAndReadInAJvmWithA16MibHeap() throws Exception {
    Path root = tmp.resolve("repo");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(List.of(java.toString(), "-Xmx16m", "-cp", System.getProperty("java.class.path"),
        BoundedMemoryTest.class.getName(), root.toString()))
        .redirectErrorStream(true)
        .redirectOutput(tmp.resolve("child.log").toFile())
        .start();
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("child finished").isTrue();
    assertThat(p.exitValue()).as("child exit code; its output: %s", Files.readString(tmp.resolve("child.log")))
        .isZero();
    assertThat(Files.size(root.resolve("big"))).isEqualTo(SIZE);
  }
}
