package io.backup4j.benchmarks;

import io.backup4j.api.Transform;
import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/**
 * Throughput of a chain in a fresh JVM, window by window, as a short-lived CLI process sees it (before and while
 * the JIT compiles the hot paths). JMH's warmed-up numbers hide this; {@code run.sh} prints both.
 *
 * <p>Usage: {@code ColdStart CHAIN TOTAL_MIB [WINDOW_MIB]}, e.g. {@code ColdStart zstd-1+aes-gcm 1024 128}.
 */
public final class ColdStart {
  private ColdStart() {}

  public static void main(String[] args) throws IOException {
    String chain = args.length > 0 ? args[0] : "zstd-1";
    long totalMiB = args.length > 1 ? Long.parseLong(args[1]) : 1024;
    int windowMiB = args.length > 2 ? Integer.parseInt(args[2]) : 128;
    byte[] data = RealisticData.generate(16 << 20, 42);
    List<Transform> transforms = Codecs.chain(chain);
    Codecs.CountingOutputStream sink = new Codecs.CountingOutputStream();
    long start = System.nanoTime();
    long windowStart = start;
    long written = 0;
    StringBuilder line = new StringBuilder(chain + " fresh JVM, MB/s per " + windowMiB + " MiB:");
    try (OutputStream out = Codecs.encode(transforms, sink)) {
      for (long mib = 0; mib < totalMiB; mib++) {
        int off = (int) ((mib % 16) << 20);
        for (int c = 0; c < 16; c++) {
          out.write(data, off + c * 65536, 65536);
        }
        written += 1 << 20;
        if ((mib + 1) % windowMiB == 0) {
          long now = System.nanoTime();
          line.append(String.format(" %.0f", (windowMiB * 1048576.0) / ((now - windowStart) / 1e3)));
          windowStart = now;
        }
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.println(line);
    System.out.printf("%s fresh JVM, overall: %.0f MB/s (%d MiB in %.2f s, ratio %.2f)%n", chain,
        written / seconds / 1e6, totalMiB, seconds, (double) written / sink.count);
  }
}
