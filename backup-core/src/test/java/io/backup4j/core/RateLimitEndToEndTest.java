package io.backup4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.Manifest;
import io.backup4j.api.PartInfo;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bandwidth limits hold through the whole engine, not only in {@code RateLimiter} alone: a limited backup cannot
 * finish sooner than its bytes allow, and still commits a backup that restores byte-identical.
 *
 * <p>Only lower bounds on the elapsed time are asserted. They follow from the token bucket (at most one second's
 * worth of burst, then {@code limit} bytes a second), so a slow or loaded machine can only make them easier to meet;
 * an upper bound would be a timing test and is deliberately absent.
 */
class RateLimitEndToEndTest {
  private static final int LIMIT = 1 << 20;
  /** Three parts of 1.25 MiB: 3.75 MiB, of which at most one second's worth (1 MiB) passes as a burst. */
  private static final int PARTS = 3;
  private static final int SIZE = (5 << 20) / 4;
  private static final long MIN_NANOS = (long) (((double) PARTS * SIZE - LIMIT) / LIMIT * 1e9);

  private MemorySink sink;
  private Backups backups;

  @BeforeEach
  void setUp() {
    sink = new MemorySink();
    backups = Backups.builder().sink(sink).build();
    TestSources.RESTORED.clear();
  }

  private void backUpLimitedAndCheck(BackupJob.Builder job, String target) {
    long start = System.nanoTime();
    Manifest m = backups.backup(job.source(new TestSources.Source(PARTS, SIZE, 11)).build());
    long elapsed = System.nanoTime() - start;

    assertThat(elapsed).as("a %d-byte backup limited to %d B/s took %.2f s", PARTS * SIZE, LIMIT, elapsed / 1e9)
        .isGreaterThanOrEqualTo(MIN_NANOS);
    assertThat(m.rawSize()).isEqualTo((long) PARTS * SIZE);
    backups.restore(m.id(), RestoreJob.builder(target).build());
    Map<String, byte[]> restored = TestSources.RESTORED.get(target);
    for (PartInfo p : m.parts()) {
      assertThat(restored.get(p.name())).as(p.name()).isEqualTo(TestSources.data(p.name(), SIZE, 11));
    }
  }

  @Test
  void sourceReadLimitHoldsTheWholeBackupToTheConfiguredRate() {
    backUpLimitedAndCheck(BackupJob.builder().sourceBytesPerSecond(LIMIT), "source-limited");
  }

  @Test
  void sinkWriteLimitHoldsTheWholeBackupToTheConfiguredRateAfterTransforms() {
    // the sink limit counts stored bytes, after the transform chain ("xor" keeps the size)
    backUpLimitedAndCheck(BackupJob.builder().transform("xor").sinkBytesPerSecond(LIMIT), "sink-limited");
  }

  @Test
  void theRateIsSharedByAllPartsOfOneRunNotGivenToEachPart() {
    // three parts of 1.25 MiB each at 1 MiB/s: were the limit per part, each would pass in about 0.25 s after its
    // own 1 MiB burst; shared, the whole run needs at least 2.75 s
    backUpLimitedAndCheck(BackupJob.builder().sourceBytesPerSecond(LIMIT).sinkBytesPerSecond(LIMIT), "both-limited");
  }
}
