package io.backup4j.compress;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.Transform;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A part that fails is abandoned: the engine aborts its pipeline without closing the transform streams. zstd's
 * native context, and with {@code workers} its native threads, must not outlive the stream.
 */
class AbandonedStreamTest {
  private static final Path TASKS = Path.of("/proc/self/task");

  @Test
  void abandonedZstdEncodersWithWorkersReleaseTheirNativeThreads() throws Exception {
    Assumptions.assumeTrue(Files.isDirectory(TASKS), "SKIPPED: needs Linux /proc to count native threads");
    Transform t = TestSupport.transform("zstd", Map.of("workers", "2"));
    byte[] data = TestSupport.structured(2 * 1024 * 1024, 1);
    collectGarbage();
    int before = threads();

    // Hold the abandoned encoders until their threads are counted: a garbage collection during the loop (likely on
    // a small CI heap) would otherwise let the Cleaner free some early and the first assertion fail by luck.
    List<OutputStream> abandonedStreams = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      abandonedStreams.add(abandon(t, data));
    }
    int abandoned = threads();
    abandonedStreams.clear();
    int after = abandoned;
    // Cleaner threads run when the scheduler lets them: poll with a generous deadline rather than a fixed count.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (after > before + 4 && System.nanoTime() < deadline) {
      collectGarbage();
      after = threads();
    }

    assertThat(abandoned).as("the encoders did start worker threads").isGreaterThan(before + 4);
    assertThat(after).as("native threads after the abandoned encoders were collected").isLessThanOrEqualTo(before + 4);
  }

  private static OutputStream abandon(Transform t, byte[] data) throws IOException {
    OutputStream out = t.encode(OutputStream.nullOutputStream());
    out.write(data);
    return out; // never closed
  }

  private static int threads() throws IOException {
    try (Stream<Path> s = Files.list(TASKS)) {
      return (int) s.count();
    }
  }

  private static void collectGarbage() throws InterruptedException {
    System.gc();
    Thread.sleep(50);
  }
}
