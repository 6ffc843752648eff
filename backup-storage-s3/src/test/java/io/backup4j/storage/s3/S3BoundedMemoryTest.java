package io.backup4j.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streams objects four times larger than the heap through the sink in a child JVM limited to 64 MiB (which also runs
 * the S3 server): once with parts buffered in heap, once with parts large enough to be spooled to disk.
 */
class S3BoundedMemoryTest {
  @TempDir Path dir;

  private String run(long size, long partSize) throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(List.of(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
        BoundedMemoryMain.class.getName(), dir.toString(), Long.toString(size), Long.toString(partSize)))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as("child JVM output:%n%s", out).isZero();
    return out;
  }

  @Test
  void objectFourTimesTheHeapStreamsThroughWithPartsInHeap() throws Exception {
    assertThat(run(256L << 20, 5L << 20)).contains("hashes equal: true");
  }

  @Test
  void objectFourTimesTheHeapStreamsThroughWithSpooledParts() throws Exception {
    assertThat(run(256L << 20, 32L << 20)).contains("hashes equal: true");
  }
}
