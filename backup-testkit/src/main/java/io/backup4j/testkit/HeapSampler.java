package io.backup4j.testkit;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Optional;

/**
 * Measures how much the live heap grows while a test runs: each sample forces a full garbage collection and reads the
 * heap in use, so garbage (however much was allocated) does not count, only what is still reachable. Deterministic
 * as long as {@link System#gc()} really collects before it returns; {@link #unusableBecause()} says when it does not
 * (the GC is disabled or made concurrent on request, or there is no collector at all, as with Epsilon).
 */
final class HeapSampler {
  private final long baseline;
  private long peakGrowth;
  private String peakAt = "no sample";

  /** Takes the baseline: the live heap now. */
  HeapSampler() {
    this.baseline = liveHeap();
  }

  /**
   * Why live heap cannot be measured in this JVM, or empty if it can.
   */
  static Optional<String> unusableBecause() {
    List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
    for (String flag : List.of("-XX:+DisableExplicitGC", "-XX:+ExplicitGCInvokesConcurrent", "-XX:+UseEpsilonGC")) {
      if (args.contains(flag)) {
        return Optional.of("the JVM runs with " + flag + ", so System.gc() does not collect garbage before it returns"
            + " and the live heap cannot be measured");
      }
    }
    long before = collections();
    System.gc();
    if (collections() == before) {
      return Optional.of("System.gc() ran no collection in this JVM, so the live heap cannot be measured");
    }
    return Optional.empty();
  }

  /** Records the live heap's growth over the baseline at this point; {@code where} describes the point. */
  void sample(String where) {
    long growth = liveHeap() - baseline;
    if (growth > peakGrowth) {
      peakGrowth = growth;
      peakAt = where;
    }
  }

  /** The largest growth of the live heap over the baseline seen by {@link #sample}, in bytes (at least 0). */
  long peakGrowth() {
    return peakGrowth;
  }

  /** Where the largest growth was seen. */
  String peakAt() {
    return peakAt;
  }

  private static long liveHeap() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static long collections() {
    long n = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, gc.getCollectionCount());
    }
    return n;
  }
}
