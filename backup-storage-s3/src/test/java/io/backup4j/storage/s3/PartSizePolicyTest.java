package io.backup4j.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PartSizePolicyTest {
  static final long MIB = 1L << 20;
  static final long GIB = 1L << 30;
  static final long TIB = 1L << 40;

  @Test
  void defaultPolicyFitsTheLargestS3ObjectInTenThousandParts() {
    PartSizePolicy p = new PartSizePolicy(8 * MIB, PartSizePolicy.AWS_MAX_PART_SIZE, 10_000);
    assertThat(p.capacity()).isGreaterThan(5 * TIB);
    assertThat(partsFor(p, 5 * TIB)).isLessThanOrEqualTo(10_000);
    // small streams keep small parts: the first 4 GiB go in 8 MiB parts
    assertThat(p.partSize(1)).isEqualTo(8 * MIB);
    assertThat(p.partSize(500)).isEqualTo(8 * MIB);
    assertThat(p.partSize(501)).isEqualTo(16 * MIB);
  }

  @Test
  void thousandPartStoresStillHoldMultiTerabyteStreams() {
    PartSizePolicy p = new PartSizePolicy(8 * MIB, PartSizePolicy.AWS_MAX_PART_SIZE, 1_000);
    assertThat(p.capacity()).isGreaterThan(2 * TIB);
    assertThat(partsFor(p, 2 * TIB)).isLessThanOrEqualTo(1_000);
  }

  @Test
  void partsNeverShrinkNeverExceedTheCapAndNeverFallBelowTheMinimum() {
    for (int maxParts : new int[] {1, 7, 19, 20, 21, 1_000, 10_000}) {
      PartSizePolicy p = new PartSizePolicy(5 * MIB, PartSizePolicy.AWS_MAX_PART_SIZE, maxParts);
      long previous = 0;
      for (int n = 1; n <= maxParts; n++) {
        long size = p.partSize(n);
        assertThat(size).isBetween(5 * MIB, 5 * GIB).isGreaterThanOrEqualTo(previous);
        previous = size;
      }
    }
  }

  @Test
  void hugeInitialSizesDoNotOverflow() {
    PartSizePolicy p = new PartSizePolicy(4 * GIB, 5 * GIB, 40);
    assertThat(p.partSize(40)).isEqualTo(5 * GIB);
    assertThat(p.capacity()).isEqualTo(2 * 4 * GIB + 38 * 5 * GIB);
  }

  @Test
  void partNumbersOutsideTheRangeAreRejected() {
    PartSizePolicy p = new PartSizePolicy(5 * MIB, 5 * GIB, 100);
    assertThatThrownBy(() -> p.partSize(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> p.partSize(101)).isInstanceOf(IllegalArgumentException.class);
  }

  private static int partsFor(PartSizePolicy p, long length) {
    long left = length;
    int n = 0;
    while (left > 0) {
      n++;
      left -= p.partSize(n);
    }
    return n;
  }
}
