package io.backup4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bounded-memory check of the conformance suite measures what stays reachable, not what was allocated: a
 * retained buffer shows, any amount of garbage does not.
 */
class HeapSamplerTest {
  static final int MIB = 1 << 20;

  @BeforeEach
  void usable() {
    Optional<String> unusable = HeapSampler.unusableBecause();
    assumeThat(unusable).as(unusable.orElse("")).isEmpty();
  }

  @Test
  void aRetainedBufferCountsInFull() {
    HeapSampler heap = new HeapSampler();
    byte[][] retained = new byte[32][];
    for (int i = 0; i < retained.length; i++) {
      retained[i] = new byte[MIB];
    }
    heap.sample("with 32 MiB retained");
    assertThat(retained[31]).hasSize(MIB);
    assertThat(heap.peakGrowth()).isGreaterThanOrEqualTo(31L * MIB);
    assertThat(heap.peakAt()).isEqualTo("with 32 MiB retained");
  }

  @Test
  void garbageDoesNotCountHoweverMuchWasAllocated() {
    HeapSampler heap = new HeapSampler();
    long checksum = 0;
    for (int i = 0; i < 512; i++) {
      byte[] garbage = new byte[MIB];
      garbage[i] = (byte) i;
      checksum += garbage[i];
      if (i % 128 == 127) {
        heap.sample("after " + (i + 1) + " MiB of garbage");
      }
    }
    assertThat(checksum).isNotZero();
    assertThat(heap.peakGrowth()).as("at %s", heap.peakAt()).isLessThan(8L * MIB);
  }
}
