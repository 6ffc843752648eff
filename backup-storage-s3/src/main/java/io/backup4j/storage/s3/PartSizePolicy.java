package io.backup4j.storage.s3;

/**
 * The size of each part of a multipart upload whose total length is unknown in advance.
 *
 * <p>Parts start at {@code initial} bytes and double every {@code step = max(1, maxParts / 20)} parts, capped at
 * {@code maxPartSize}. Small objects therefore use small parts (little memory, fine-grained retries) while a stream of
 * several terabytes still fits in {@code maxParts} parts. With the defaults (8 MiB, 10,000 parts, 5 GiB cap) the first
 * 500 parts hold 4 GiB, the first 5,000 parts about 4 TiB, and all 10,000 parts more than the 5 TiB S3 object limit;
 * with {@code maxParts=1000} (some S3-compatible stores) the capacity is still about 2.9 TiB.
 */
final class PartSizePolicy {
  /** The smallest part AWS accepts for any part but the last. */
  static final long AWS_MIN_PART_SIZE = 5L << 20;
  /** The largest part S3 accepts. */
  static final long AWS_MAX_PART_SIZE = 5L << 30;
  /** The most parts S3 accepts in one upload. */
  static final int AWS_MAX_PARTS = 10_000;
  private static final int TIERS = 20;

  private final long initial;
  private final long maxPartSize;
  private final int maxParts;
  private final int step;

  PartSizePolicy(long initial, long maxPartSize, int maxParts) {
    if (initial <= 0 || maxPartSize < initial) {
      throw new IllegalArgumentException("need 0 < partSize <= maxPartSize, got " + initial + " and " + maxPartSize);
    }
    if (maxParts < 1 || maxParts > AWS_MAX_PARTS) {
      throw new IllegalArgumentException("maxParts must be 1.." + AWS_MAX_PARTS + ", got " + maxParts);
    }
    this.initial = initial;
    this.maxPartSize = maxPartSize;
    this.maxParts = maxParts;
    this.step = Math.max(1, maxParts / TIERS);
  }

  /** The size of part {@code partNumber} (1-based); every part but the last of an upload has exactly this size. */
  long partSize(int partNumber) {
    if (partNumber < 1 || partNumber > maxParts) {
      throw new IllegalArgumentException("part number " + partNumber + " outside 1.." + maxParts);
    }
    int tier = (partNumber - 1) / step;
    // compare by shifting the cap down, so that initial << tier can never overflow
    if (tier >= 62 || initial > (maxPartSize >> tier)) {
      return maxPartSize;
    }
    return initial << tier;
  }

  /** The largest object this policy can upload: the sum of all {@code maxParts} part sizes. */
  long capacity() {
    long total = 0;
    for (int n = 1; n <= maxParts; n++) {
      total += partSize(n);
      if (total < 0) {
        return Long.MAX_VALUE;
      }
    }
    return total;
  }

  int maxParts() {
    return maxParts;
  }

  long initial() {
    return initial;
  }

  @Override
  public String toString() {
    return "PartSizePolicy[initial=" + initial + ", max=" + maxPartSize + ", maxParts=" + maxParts + ", doubling every "
        + step + " parts]";
  }
}
