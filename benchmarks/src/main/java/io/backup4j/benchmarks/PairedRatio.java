package io.backup4j.benchmarks;

import io.backup4j.api.Transform;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The throughput ratio of two chains measured alternately in one warmed-up JVM, e.g. {@code zstd-1+aes-gcm} over
 * {@code zstd-1}: the cost of adding a stage, robust against a shared machine whose load drifts between separate JMH
 * runs (both sides of every pair see nearly the same load).
 *
 * <p>Usage: {@code PairedRatio BASE CANDIDATE [ROUNDS]}; prints the median ratio CANDIDATE/BASE and its range.
 */
public final class PairedRatio {
  private static final int SIZE = 64 << 20;
  private static final int CHUNK = 64 << 10;

  private PairedRatio() {}

  public static void main(String[] args) throws IOException {
    String base = args[0];
    String candidate = args[1];
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
    byte[] data = RealisticData.generate(16 << 20, 42);
    List<Transform> a = Codecs.chain(base);
    List<Transform> b = Codecs.chain(candidate);
    long warmUntil = System.nanoTime() + 8_000_000_000L;
    while (System.nanoTime() < warmUntil) { // let C2 compile both paths (AES-GCM needs hundreds of calls)
      run(a, data);
      run(b, data);
    }
    List<Double> ratios = new ArrayList<>();
    double sumA = 0;
    double sumB = 0;
    for (int i = 0; i < rounds; i++) {
      boolean aFirst = i % 2 == 0; // alternate the order so neither side always gets the warmer cache
      double ta = 0;
      double tb = 0;
      if (aFirst) {
        ta = run(a, data);
        tb = run(b, data);
      } else {
        tb = run(b, data);
        ta = run(a, data);
      }
      ratios.add(ta / tb); // throughput(b) / throughput(a) = time(a) / time(b)
      sumA += SIZE / ta / 1e6;
      sumB += SIZE / tb / 1e6;
    }
    Collections.sort(ratios);
    System.out.printf("%s / %s throughput, %d alternating pairs of 64 MiB: median %.2f (min %.2f, max %.2f); "
            + "mean MB/s %s %.0f, %s %.0f%n", candidate, base, rounds, ratios.get(rounds / 2), ratios.get(0),
        ratios.get(rounds - 1), base, sumA / rounds, candidate, sumB / rounds);
  }

  /** Seconds to push 64 MiB through the chain. */
  private static double run(List<Transform> chain, byte[] data) throws IOException {
    Codecs.CountingOutputStream sink = new Codecs.CountingOutputStream();
    long start = System.nanoTime();
    try (OutputStream out = Codecs.encode(chain, sink)) {
      for (int off = 0; off < SIZE; off += CHUNK) {
        int src = off % data.length;
        out.write(data, src, CHUNK);
      }
    }
    return (System.nanoTime() - start) / 1e9;
  }
}
