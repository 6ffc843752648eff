package io.backup4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.Manifest;
import io.backup4j.api.NotFoundException;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Backups#latest()}, {@link Backups#latestBefore(Instant)} and their per-set variants: which backup a
 * "restore the newest" or a point-in-time lookup picks, around the {@code finishedAt} boundary and across sets.
 */
class LatestBackupTest {
  private MemorySink sink;
  private Backups backups;

  @BeforeEach
  void setUp() {
    sink = new MemorySink();
    backups = Backups.builder().sink(sink).build();
  }

  private Manifest backup(String set, long seed) {
    return backups.backup(BackupJob.builder().backupSet(set).source(new TestSources.Source(1, 100, seed)).build());
  }

  private static Optional<String> id(Optional<Manifest> m) {
    return m.map(x -> x.id().value());
  }

  @Test
  void latestBeforeCountsABackupFinishedExactlyAtTheTimeAndNoneStillRunning() {
    Manifest b1 = backup("db", 1);
    Manifest b2 = backup("db", 2);
    Manifest b3 = backup("db", 3);
    // the runs of one set are sequential: each starts after the previous one finished, and takes time itself
    assertThat(b1.finishedAt()).isBefore(b2.finishedAt());
    assertThat(b3.startedAt()).isAfterOrEqualTo(b2.finishedAt()).isBefore(b3.finishedAt());

    assertThat(id(backups.latest())).contains(b3.id().value());
    assertThat(backups.latestBefore(b1.finishedAt().minusNanos(1))).as("before every backup finished").isEmpty();
    assertThat(backups.latestBefore(b1.startedAt())).as("b1 had started but not finished").isEmpty();
    assertThat(id(backups.latestBefore(b1.finishedAt()))).as("at b1's finish").contains(b1.id().value());
    assertThat(id(backups.latestBefore(b2.finishedAt().minusNanos(1)))).as("just before b2 finished")
        .contains(b1.id().value());
    assertThat(id(backups.latestBefore(b2.finishedAt()))).as("exactly at b2's finish").contains(b2.id().value());
    assertThat(id(backups.latestBefore(b3.startedAt()))).as("while b3 was running").contains(b2.id().value());
    assertThat(id(backups.latestBefore(b3.finishedAt()))).contains(b3.id().value());
    assertThat(id(backups.latestBefore(Instant.MAX))).contains(b3.id().value());
    // the per-set variants agree when there is only one set
    assertThat(id(backups.latest("db"))).contains(b3.id().value());
    assertThat(id(backups.latestBefore("db", b2.finishedAt()))).contains(b2.id().value());
    assertThat(backups.latestBefore("db", b1.finishedAt().minusNanos(1))).isEmpty();
  }

  @Test
  void thePerSetLookupsNeverPickAnotherSourcesBackup() {
    Manifest a1 = backup("orders-db", 1);
    Manifest b1 = backup("media", 2);
    Manifest a2 = backup("orders-db", 3);
    Manifest b2 = backup("media", 4);
    assertThat(a1.finishedAt()).isBefore(b1.finishedAt());
    assertThat(b1.finishedAt()).isBefore(a2.finishedAt());
    assertThat(a2.finishedAt()).isBefore(b2.finishedAt());

    // the repository-wide lookups do pick the other set: the trap the per-set ones avoid
    assertThat(id(backups.latest())).contains(b2.id().value());
    assertThat(id(backups.latestBefore(b1.finishedAt()))).contains(b1.id().value());

    assertThat(id(backups.latest("orders-db"))).contains(a2.id().value());
    assertThat(id(backups.latest("media"))).contains(b2.id().value());
    assertThat(backups.latest("nosuch")).isEmpty();
    assertThat(id(backups.latestBefore("orders-db", b1.finishedAt()))).as("media's b1 is newer, but another set's")
        .contains(a1.id().value());
    assertThat(id(backups.latestBefore("orders-db", a2.finishedAt().minusNanos(1)))).contains(a1.id().value());
    assertThat(id(backups.latestBefore("orders-db", b2.finishedAt()))).contains(a2.id().value());
    assertThat(id(backups.latestBefore("media", a2.finishedAt()))).contains(b1.id().value());
    assertThat(backups.latestBefore("media", a1.finishedAt())).as("only orders-db had a backup by then").isEmpty();
    assertThat(backups.latestBefore("nosuch", Instant.MAX)).isEmpty();
  }

  @Test
  void theLookupsOfAnEmptyLocationSayItIsNotARepository() {
    assertThatThrownBy(() -> backups.latest()).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> backups.latest("db")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> backups.latestBefore("db", Instant.now())).isInstanceOf(NotFoundException.class)
        .hasMessageContaining("not a backup4j repository");
  }

  @Test
  void aRepositoryWhoseBackupsWereAllDeletedHasNoLatest() {
    Manifest m = backup("db", 1);
    backups.delete(m.id());
    assertThat(backups.latest()).isEmpty();
    assertThat(backups.latest("db")).isEmpty();
    assertThat(backups.latestBefore(Instant.MAX)).isEmpty();
    assertThat(backups.latestBefore("db", Instant.MAX)).isEmpty();
  }
}
