package io.backup4j.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.BackupEvent;
import io.backup4j.api.BackupId;
import io.backup4j.api.Cancellation;
import io.backup4j.api.CancelledException;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.LockedException;
import io.backup4j.api.Manifest;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.PartInfo;
import io.backup4j.api.PartWriter;
import io.backup4j.api.SinkException;
import io.backup4j.api.SourceException;
import io.backup4j.api.WriteMode;
import io.backup4j.core.internal.Layout;
import io.backup4j.core.internal.ManifestCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BackupsTest {
  private MemorySink sink;
  private Backups backups;
  private final List<BackupEvent> events = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() {
    sink = new MemorySink();
    backups = Backups.builder().sink(sink).listener(events::add).build();
    TestSources.RESTORED.clear();
  }

  private Manifest backup(int parts, int size, long seed, String... transforms) {
    BackupJob.Builder b = BackupJob.builder().source(new TestSources.Source(parts, size, seed)).label("env", "test");
    for (String t : transforms) {
      b.transform(t);
    }
    return backups.backup(b.build());
  }

  private Map<String, byte[]> restore(Manifest m, String target) {
    backups.restore(m.id(), RestoreJob.builder(target).build());
    return TestSources.RESTORED.get(target);
  }

  @Test
  void backupCommitsManifestLastAndRestoresIdenticalBytes() {
    Manifest m = backup(3, 200_000, 7, "xor");

    assertThat(m.parts()).extracting(PartInfo::name).containsExactly("part-0", "part-1", "part-2");
    assertThat(m.labels()).containsEntry("env", "test");
    assertThat(m.transforms()).extracting(t -> t.name()).containsExactly("xor");
    assertThat(m.sourceMetadata()).containsEntry("seed", "7");
    assertThat(m.rawSize()).isEqualTo(600_000);
    assertThat(sink.keys("data/" + m.id())).containsExactly(
        "data/" + m.id() + "/part-0.xor", "data/" + m.id() + "/part-1.xor", "data/" + m.id() + "/part-2.xor");
    assertThat(sink.keys("pending/")).isEmpty();
    assertThat(sink.keys("locks/")).isEmpty();
    // stored bytes really went through the transform
    assertThat(sink.objects.get(m.parts().get(0).key())).isNotEqualTo(TestSources.data("part-0", 200_000, 7));

    Map<String, byte[]> restored = restore(m, "t1");
    for (PartInfo p : m.parts()) {
      assertThat(restored.get(p.name())).isEqualTo(TestSources.data(p.name(), 200_000, 7));
    }
    assertThat(backups.list()).extracting(Manifest::id).containsExactly(m.id());
    assertThat(backups.resolve("latest").id()).isEqualTo(m.id());
    assertThat(events).anyMatch(e -> e instanceof BackupEvent.Finished f && f.operation() == io.backup4j.api.Operation.BACKUP);
    assertThat(events).anyMatch(e -> e instanceof BackupEvent.SourceProgress);
  }

  @Test
  void manifestSurvivesJsonRoundTrip() {
    Manifest m = backup(2, 10, 1, "xor");
    byte[] json = ManifestCodec.write(m);
    assertThat(ManifestCodec.read(json, "test")).isEqualTo(m);
    assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"formatVersion\" : 1");
  }

  @Test
  void manifestWithNewerFormatVersionIsRefusedWithUpgradeHint() {
    Manifest m = backup(1, 10, 1);
    String json = new String(ManifestCodec.write(m), StandardCharsets.UTF_8).replace("\"formatVersion\" : 1", "\"formatVersion\" : 99");
    assertThatThrownBy(() -> ManifestCodec.read(json.getBytes(StandardCharsets.UTF_8), "x"))
        .isInstanceOf(IntegrityException.class).hasMessageContaining("format version 99").hasMessageContaining("upgrade");
  }

  @Test
  void sinkFailingHalfwayLeavesNoVisibleBackupAndEarlierBackupStillRestores() {
    Manifest good = backup(2, 100_000, 1);
    sink.failAfterDataBytes = 250_000; // fails inside the 2nd part of the next backup
    assertThatThrownBy(() -> backup(3, 200_000, 2, "xor")).isInstanceOf(SinkException.class)
        .hasMessageContaining("injected storage failure");
    sink.failAfterDataBytes = -1;

    assertThat(backups.list()).extracting(Manifest::id).containsExactly(good.id());
    assertThat(sink.keys("data/")).allMatch(k -> k.startsWith("data/" + good.id() + "/"));
    assertThat(sink.keys("pending/")).isEmpty();
    assertThat(sink.keys("locks/")).isEmpty();
    assertThat(restore(good, "t").get("part-1")).isEqualTo(TestSources.data("part-1", 100_000, 1));
    assertThat(events).anyMatch(e -> e instanceof BackupEvent.Failed);
  }

  @Test
  void sourceFailureLeavesNoVisibleBackup() {
    assertThatThrownBy(() -> backups.backup(BackupJob.builder().source(new TestSources.Source(3, 1000, 1, 1, () -> {})).build()))
        .isInstanceOf(SourceException.class).hasMessageContaining("injected source failure in part-1");
    assertThat(backups.list()).isEmpty();
    assertThat(sink.keys("data/")).isEmpty();
    assertThat(sink.keys("pending/")).isEmpty();
  }

  @Test
  void cancelledBackupLeavesNothing() {
    Cancellation c = new Cancellation();
    assertThatThrownBy(() -> backups.backup(BackupJob.builder().cancellation(c)
        .source(new TestSources.Source(3, 300_000, 1, -1, c::cancel)).build()))
        .isInstanceOf(CancelledException.class);
    assertThat(backups.list()).isEmpty();
    assertThat(sink.keys("data/")).isEmpty();
  }

  @Test
  void flippedByteInStoredPartFailsVerifyAndRestoreNamingThePart() {
    Manifest m = backup(3, 50_000, 3, "xor");
    byte[] stored = sink.objects.get(m.parts().get(1).key());
    stored[stored.length / 2] ^= 0x01;

    assertThatThrownBy(() -> backups.verify(m.id())).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("part 'part-1'").hasMessageContaining("SHA-256").hasMessageNotContaining("part-0'");
    assertThatThrownBy(() -> restore(m, "t")).isInstanceOf(IntegrityException.class).hasMessageContaining("part 'part-1'");
    assertThat(TestSources.RESTORED).doesNotContainKey("t");
  }

  @Test
  void aTargetThatStopsReadingBeforeTheEndStillGetsTheWholePartVerified() {
    Manifest m = backup(2, 50_000, 3, "xor");
    byte[] stored = sink.objects.get(m.parts().get(1).key());
    stored[100] ^= 0x01; // damage inside the bytes the target reads

    assertThatThrownBy(() -> backups.restore(m.id(), RestoreJob.builder("t").option("readBytes", "1000").build()))
        .isInstanceOf(IntegrityException.class).hasMessageContaining("part 'part-1'");
    // undamaged, the same early-stopping target restores fine
    stored[100] ^= 0x01;
    backups.restore(m.id(), RestoreJob.builder("t2").option("readBytes", "1000").build());
    assertThat(TestSources.RESTORED.get("t2").get("part-1"))
        .isEqualTo(java.util.Arrays.copyOf(TestSources.data("part-1", 50_000, 3), 1000));
  }

  @Test
  void missingPartFailsVerifyAndRestoreNamingThePart() {
    Manifest m = backup(2, 5_000, 4);
    sink.objects.remove(m.parts().get(0).key());
    assertThatThrownBy(() -> backups.verify(m.id())).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("part 'part-0'").hasMessageContaining("missing");
    assertThatThrownBy(() -> restore(m, "t")).isInstanceOf(IntegrityException.class).hasMessageContaining("part 'part-0'");
  }

  @Test
  void truncatedAndExtendedPartsAreDetected() {
    Manifest m = backup(2, 5_000, 4);
    String key = m.parts().get(0).key();
    byte[] orig = sink.objects.get(key);
    sink.objects.put(key, java.util.Arrays.copyOf(orig, orig.length - 1));
    assertThatThrownBy(() -> backups.verify(m.id())).isInstanceOf(IntegrityException.class).hasMessageContaining("truncated");
    sink.objects.put(key, java.util.Arrays.copyOf(orig, orig.length + 1));
    assertThatThrownBy(() -> backups.verify(m.id())).isInstanceOf(IntegrityException.class).hasMessageContaining("longer");
    sink.objects.put(key, orig);
    assertThat(backups.verify(m.id()).parts()).isEqualTo(2);
  }

  @Test
  void backupIdWithPathTraversalIsRejected() {
    assertThatThrownBy(() -> backups.resolve("../etc")).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("invalid backup id");
    assertThatThrownBy(() -> BackupId.of("a/b")).isInstanceOf(ConfigurationException.class);
  }

  @Test
  void unknownBackupIdIsNotFound() {
    backup(1, 10, 1);
    assertThatThrownBy(() -> backups.resolve("20200101T000000Z-00000000")).isInstanceOf(NotFoundException.class)
        .hasMessageContaining("backup4j list");
  }

  @Test
  void unknownSchemesListWhatIsInstalled() {
    assertThatThrownBy(() -> backups.backup(BackupJob.builder().source("nosuch:/x").build()))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("'nosuch'").hasMessageContaining("test");
    assertThatThrownBy(() -> backups.backup(BackupJob.builder().source(new TestSources.Source(1, 1, 1)).transform("nosuch").build()))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("xor");
    try (Backups b = Backups.builder().repository("nosuch:/repo").build()) {
      assertThatThrownBy(b::list).isInstanceOf(ConfigurationException.class).hasMessageContaining("nosuch");
    }
  }

  @Test
  void readingAnEmptyLocationIsNotARepository() {
    assertThatThrownBy(() -> backups.list()).isInstanceOf(NotFoundException.class).hasMessageContaining("not a backup4j repository");
  }

  @Test
  void backupRefusesNonEmptyLocationThatIsNotARepository() throws IOException {
    try (PartWriter w = sink.openWrite("home/user/file.txt", WriteMode.OVERWRITE)) {
      w.stream().write(1);
      w.commit();
    }
    assertThatThrownBy(() -> backup(1, 1, 1)).isInstanceOf(ConfigurationException.class).hasMessageContaining("not empty");
    assertThat(sink.objects.keySet()).containsExactly("home/user/file.txt");
  }

  @Test
  void backupSetHeldByLiveProcessIsLocked() throws IOException {
    Manifest m = backup(1, 10, 1);
    writeObject(Layout.lock(m.backupSet()), ManifestCodec.writeSimple(Map.of("host", "another-host", "pid", "1",
        "owner", "x", "renewedAt", Instant.now().toString(), "leaseSeconds", "600")));
    assertThatThrownBy(() -> backup(1, 10, 1)).isInstanceOf(LockedException.class)
        .hasMessageContaining("another-host").hasMessageContaining("unlock");
    assertThat(backups.list()).hasSize(1);
    assertThat(backups.breakLock(m.backupSet())).contains("another-host pid 1");
    assertThat(backup(1, 10, 1)).isNotNull();
  }

  @Test
  void twoConcurrentRunsOfOneSetExcludeEachOther() throws Exception {
    java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Runnable hold = () -> {
      inside.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    var pool = java.util.concurrent.Executors.newSingleThreadExecutor();
    try {
      var first = pool.submit(() -> backups.backup(BackupJob.builder().backupSet("shared")
          .source(new TestSources.Source(1, 1000, 1, -1, hold)).build()));
      assertThat(inside.await(2, java.util.concurrent.TimeUnit.MINUTES)).isTrue();
      assertThatThrownBy(() -> backups.backup(BackupJob.builder().backupSet("shared")
          .source(new TestSources.Source(1, 1000, 2)).build()))
          .isInstanceOf(LockedException.class).hasMessageContaining("backup set 'shared' is locked");
      // another set is not blocked
      assertThat(backups.backup(BackupJob.builder().backupSet("other").source(new TestSources.Source(1, 10, 3)).build()))
          .isNotNull();
      release.countDown();
      Manifest m = first.get(2, java.util.concurrent.TimeUnit.MINUTES);
      assertThat(backups.list("shared")).extracting(Manifest::id).containsExactly(m.id());
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void aLockRenewalInFlightWhenTheRunEndsDoesNotLeaveTheLockBehind() throws Exception {
    Backups quick = Backups.builder().sink(sink).lockLease(java.time.Duration.ofSeconds(1)).build();
    String lockKey = Layout.lock("renewing");
    java.util.concurrent.CountDownLatch renewing = new java.util.concurrent.CountDownLatch(1);
    long[] commitsBefore = new long[1];
    // the heartbeat's rewrite of the lock is held up until the run has released the lock (or two seconds passed)
    Runnable holdRenewal = () -> {
      commitsBefore[0] = sink.lockCommits.get();
      renewing.countDown();
      long deadline = System.nanoTime() + 2_000_000_000L;
      boolean interrupted = false;
      while (sink.objects.containsKey(lockKey) && System.nanoTime() < deadline) {
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          interrupted = true; // hold on regardless: a renewal already under way is not stopped by an interrupt
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    };
    boolean[] once = {false};
    Runnable midway = () -> {
      if (once[0]) {
        return;
      }
      once[0] = true;
      sink.beforeLockWrite = holdRenewal;
      try {
        assertThat(renewing.await(2, java.util.concurrent.TimeUnit.MINUTES)).as("a renewal started").isTrue();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
    try (quick) {
      quick.backup(BackupJob.builder().backupSet("renewing").source(new TestSources.Source(1, 100, 1, -1, midway)).build());
    }

    // wait (generously) until the held-up renewal has written, wherever that fell relative to the release
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
    while (sink.lockCommits.get() == commitsBefore[0] && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(sink.lockCommits.get()).as("the renewal wrote").isGreaterThan(commitsBefore[0]);
    assertThat(sink.keys("locks/")).as("no lock outlives the run that held it").isEmpty();
  }

  @Test
  void staleLockOfDeadLocalProcessIsBrokenWithWarning() throws Exception {
    Manifest m = backup(1, 10, 1);
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    writeObject(Layout.lock(m.backupSet()), ManifestCodec.writeSimple(Map.of("host", io.backup4j.core.internal.SetLock.hostName(),
        "pid", Long.toString(p.pid()), "owner", "x", "renewedAt", Instant.now().toString(), "leaseSeconds", "600")));
    Manifest second = backup(1, 10, 1);
    assertThat(backups.list()).extracting(Manifest::id).contains(second.id());
    assertThat(events).anyMatch(e -> e instanceof BackupEvent.Warning w && w.message().contains("stale lock"));
  }

  @Test
  void aLockOfTheSameHostNameFromAnotherPidNamespaceIsNotJudgedByPid() throws Exception {
    Manifest m = backup(1, 10, 1);
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    // a container sharing this host name (host networking) has its own pids: its live owner's pid means nothing here
    writeObject(Layout.lock(m.backupSet()), ManifestCodec.writeSimple(Map.of("host", io.backup4j.core.internal.SetLock.hostName(),
        "pid", Long.toString(p.pid()), "pidNamespace", "pid:[1]", "owner", "x", "renewedAt", Instant.now().toString(),
        "leaseSeconds", "600")));
    assertThatThrownBy(() -> backup(1, 10, 1)).isInstanceOf(LockedException.class);
    assertThat(backups.list()).extracting(Manifest::id).containsExactly(m.id());
  }

  @Test
  void expiredLeaseIsBroken() throws IOException {
    Manifest m = backup(1, 10, 1);
    writeObject(Layout.lock(m.backupSet()), ManifestCodec.writeSimple(Map.of("host", "far-away", "pid", "1", "owner", "x",
        "renewedAt", Instant.now().minusSeconds(3600).toString(), "leaseSeconds", "60")));
    assertThat(backup(1, 10, 1)).isNotNull();
  }

  @Test
  void leftoversOfAnInterruptedRunOfTheSameSetAreCleaned() throws IOException {
    Manifest m = backup(1, 10, 1);
    BackupId dead = BackupId.of("20200101T000000Z-deadbeef");
    writeObject(Layout.pending(dead), ManifestCodec.writeSimple(Map.of("backupSet", m.backupSet(), "operation", "backup")));
    writeObject("data/" + dead + "/part-0", new byte[100]);
    BackupId other = BackupId.of("20200101T000000Z-0be00be0");
    writeObject(Layout.pending(other), ManifestCodec.writeSimple(Map.of("backupSet", "another-set", "operation", "backup")));
    writeObject("data/" + other + "/part-0", new byte[100]);

    backup(1, 10, 1);

    assertThat(sink.keys("data/" + dead)).isEmpty();
    assertThat(sink.keys(Layout.pending(dead))).isEmpty();
    // another set may be running right now: its in-flight data is left alone
    assertThat(sink.keys("data/" + other)).hasSize(1);
    assertThat(events).anyMatch(e -> e instanceof BackupEvent.Warning w && w.message().contains(dead.value()));
  }

  @Test
  void aRunWhoseLockWasBrokenDoesNotCommit() {
    Manifest[] other = new Manifest[1];
    boolean[] once = {false};
    // midway through our run, the lock is broken as if stale (this process seemed dead: a long suspend) and another
    // run of the set cleans up our in-flight parts as leftovers of a dead run, then commits its own backup
    Runnable takeover = () -> {
      if (once[0]) {
        return;
      }
      once[0] = true;
      backups.breakLock("shared");
      other[0] = backups.backup(BackupJob.builder().backupSet("shared").source(new TestSources.Source(1, 100, 2)).build());
    };
    assertThatThrownBy(() -> backups.backup(BackupJob.builder().backupSet("shared")
        .source(new TestSources.Source(3, 1000, 1, -1, takeover)).build()))
        .isInstanceOf(LockedException.class).hasMessageContaining("shared");

    // nothing of the run that lost its lock is visible; every listed backup is complete
    assertThat(backups.list("shared")).extracting(Manifest::id).containsExactly(other[0].id());
    assertThat(backups.verify(other[0].id()).parts()).isEqualTo(1);
    assertThat(sink.keys("data/")).allMatch(k -> k.startsWith("data/" + other[0].id() + "/"));
  }

  @Test
  void deleteRemovesManifestAndParts() {
    Manifest a = backup(2, 10, 1);
    Manifest b = backup(2, 10, 2);
    backups.delete(a.id());
    assertThat(backups.list()).extracting(Manifest::id).containsExactly(b.id());
    assertThat(sink.keys("data/" + a.id())).isEmpty();
    assertThatThrownBy(() -> backups.delete(a.id())).isInstanceOf(NotFoundException.class);
  }

  @Test
  void aManifestCopiedUnderAnotherBackupsNameIsRefusedAndDeleteRemovesNothing() {
    Manifest a = backup(2, 10, 1);
    Manifest b = backup(2, 10, 2);
    int objects = sink.objects.size();
    // someone copies b's manifest over a's: "delete a" must not remove b's parts
    sink.objects.put(Layout.manifest(a.id()), sink.objects.get(Layout.manifest(b.id())));

    assertThatThrownBy(() -> backups.manifest(a.id())).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("holds backup " + b.id()).hasMessageContaining("move it back");
    assertThatThrownBy(() -> backups.delete(a.id())).isInstanceOf(IntegrityException.class);
    assertThat(sink.objects).hasSize(objects);
    assertThat(sink.keys("data/" + b.id())).hasSize(2);
  }

  @Test
  void aManifestNamingPartsOutsideItsOwnDataIsRefused() {
    Manifest a = backup(1, 10, 1);
    Manifest b = backup(1, 10, 2);
    String json = new String(sink.objects.get(Layout.manifest(a.id())), StandardCharsets.UTF_8)
        .replace("data/" + a.id() + "/", "data/" + b.id() + "/");
    sink.objects.put(Layout.manifest(a.id()), json.getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(() -> backups.delete(a.id())).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("outside data/" + a.id() + "/");
    assertThatThrownBy(() -> backups.list()).isInstanceOf(IntegrityException.class);
    assertThat(sink.keys("data/" + b.id())).hasSize(1);
  }

  @Test
  void retentionKeepsTheNewestAndRunsOnlyAfterCommit() {
    backup(1, 10, 1);
    backup(1, 10, 1);
    Manifest third = backup(1, 10, 1);
    Manifest fourth = backups.backup(BackupJob.builder().source(new TestSources.Source(1, 10, 1))
        .retention(KeepPolicy.parse("last=2")).build());
    assertThat(backups.list()).extracting(Manifest::id).containsExactly(third.id(), fourth.id());
  }

  @Test
  void retentionAfterABackupNeverDeletesTheBackupJustTaken() throws IOException {
    // a backup of the set by a host whose clock runs an hour ahead sorts as the newest
    Manifest ahead = backups.backup(BackupJob.builder().backupSet("skew").source(new TestSources.Source(1, 100, 1)).build());
    Manifest shifted = new Manifest(ahead.formatVersion(), ahead.id(), ahead.backupSet(), ahead.sourceKind(),
        ahead.sourceIdentity(), ahead.labels(), ahead.startedAt().plusSeconds(3600), ahead.finishedAt().plusSeconds(3600),
        ahead.status(), ahead.parts(), ahead.transforms(), ahead.parentId(), ahead.sourceMetadata(), ahead.producer());
    writeObject(Layout.manifest(ahead.id()), ManifestCodec.write(shifted));

    Manifest taken = backups.backup(BackupJob.builder().backupSet("skew").source(new TestSources.Source(1, 100, 2))
        .retention(KeepPolicy.parse("last=1")).build());

    // the run reported success for it: it must still be there and restorable
    assertThat(backups.list("skew")).extracting(Manifest::id).contains(taken.id());
    assertThat(restore(taken, "t").get("part-0")).isEqualTo(TestSources.data("part-0", 100, 2));
  }

  @Test
  void aRetentionFailureAfterTheCommitSaysTheBackupIsCommittedAndKeepsIt() {
    Manifest first = backup(1, 10, 1);
    BackupJob job = BackupJob.builder().source(new TestSources.Source(1, 10, 2))
        .retention(KeepPolicy.parse("last=1")).build();
    sink.failCatalogReads.set(1000); // retention cannot read the catalog
    assertThatThrownBy(() -> backups.backup(job)).isInstanceOf(io.backup4j.api.BackupException.class)
        .hasMessageContaining("is committed and restorable, but applying retention");
    sink.failCatalogReads.set(0);
    List<Manifest> all = backups.list();
    assertThat(all).hasSize(2).extracting(Manifest::id).contains(first.id());
    assertThat(restore(all.get(1), "t").get("part-0")).isEqualTo(TestSources.data("part-0", 10, 2));
  }

  @Test
  void aMarkerThatCannotBeRemovedAfterTheCommitIsAWarningAndTheNextRunRemovesIt() {
    sink.failPendingDeletes = true;
    Manifest m = backup(1, 10, 1);
    assertThat(events).anyMatch(e -> e instanceof BackupEvent.Warning w && w.message().contains("is committed"));
    assertThat(sink.keys("pending/")).containsExactly(Layout.pending(m.id()));
    sink.failPendingDeletes = false;
    Manifest next = backup(1, 10, 1); // the same source, so the same backup set
    assertThat(sink.keys("pending/")).isEmpty();
    assertThat(backups.list()).extracting(Manifest::id).containsExactly(m.id(), next.id());
    assertThat(restore(m, "t").get("part-0")).isEqualTo(TestSources.data("part-0", 10, 1));
  }

  @Test
  void aCreateOnlyManifestWriteWhoseAnswerWasLostStillCommits() {
    sink.loseManifestAnswer = true;
    Manifest m = backup(2, 1000, 3);
    sink.loseManifestAnswer = false;
    assertThat(backups.list()).extracting(Manifest::id).containsExactly(m.id());
    assertThat(backups.verify(m.id()).parts()).isEqualTo(2);
  }

  @Test
  void aManifestCommitThatWasStoredButAnsweredWithAnErrorIsACommitNotADiscard() {
    sink.failManifestAnswer = true;
    Manifest m = backup(2, 1000, 3);
    sink.failManifestAnswer = false;
    assertThat(backups.list()).extracting(Manifest::id).containsExactly(m.id());
    assertThat(backups.verify(m.id()).parts()).isEqualTo(2);
    assertThat(sink.keys("pending/")).isEmpty();
    assertThat(restore(m, "t").get("part-1")).isEqualTo(TestSources.data("part-1", 1000, 3));
  }

  @Test
  void aManifestCommitWithUnknownOutcomeKeepsThePartsItMayReferTo() {
    sink.failManifestAnswer = true;
    sink.failCatalogReads.set(1); // the check whether the manifest arrived fails too
    assertThatThrownBy(() -> backup(2, 1000, 3)).isInstanceOf(SinkException.class)
        .hasMessageContaining("unknown");
    sink.failManifestAnswer = false;
    // the manifest did arrive: whatever the run reported, a visible backup must be complete
    List<Manifest> all = backups.list();
    assertThat(all).hasSize(1);
    assertThat(backups.verify(all.get(0).id()).parts()).isEqualTo(2);
    // the next run of the set resolves the marker left behind and keeps the committed backup
    Manifest next = backup(1, 10, 3);
    assertThat(sink.keys("pending/")).isEmpty();
    assertThat(backups.list()).extracting(Manifest::id).containsExactly(all.get(0).id(), next.id());
    assertThat(backups.verify(all.get(0).id()).parts()).isEqualTo(2);
  }

  @Test
  void aBackupUnderRetentionLockIsNeitherDeletedNorHalfDeleted() {
    Manifest locked = backup(2, 100, 1);
    for (PartInfo p : locked.parts()) {
      sink.retained.put(p.key(), Instant.now().plusSeconds(3600));
    }
    assertThatThrownBy(() -> backups.delete(locked.id())).isInstanceOf(io.backup4j.api.AccessDeniedException.class)
        .hasMessageContaining("protected from deletion until");
    assertThat(backups.list()).extracting(Manifest::id).containsExactly(locked.id());
    assertThat(sink.keys("pending/")).isEmpty();
    // retention skips it with a warning, and later backups are unaffected
    Manifest next = backups.backup(BackupJob.builder().source(new TestSources.Source(2, 100, 1))
        .retention(KeepPolicy.parse("last=1")).build());
    assertThat(backups.list()).extracting(Manifest::id).containsExactly(locked.id(), next.id());
    assertThat(events).anyMatch(e -> e instanceof BackupEvent.Warning w && w.message().contains("protected from deletion"));
    assertThat(backups.verify(locked.id()).parts()).isEqualTo(2);
  }

  /** A source whose backup depends on the previous backup of its set, as incremental and WAL kinds do. */
  private static io.backup4j.api.BackupSource incremental(long seed) {
    return TestSources.source("test:incremental", session -> {
      session.setParent(session.previousBackup().orElseThrow().id());
      new TestSources.Source(1, 100, seed).backup(session);
    });
  }

  @Test
  void retentionKeepsTheParentOfABackupItCouldNotDelete() {
    Manifest full = backups.backup(BackupJob.builder().backupSet("chain").source(new TestSources.Source(1, 100, 1)).build());
    Manifest child = backups.backup(BackupJob.builder().backupSet("chain").source(incremental(2)).build());
    assertThat(child.parentId()).isEqualTo(full.id());
    for (PartInfo p : child.parts()) {
      sink.retained.put(p.key(), Instant.now().plusSeconds(3600)); // Object Lock: the child outlives its parent's lock
    }
    Manifest newest = backups.backup(BackupJob.builder().backupSet("chain").source(new TestSources.Source(1, 100, 3))
        .retention(KeepPolicy.parse("last=1")).build());

    // the child stays (protected), so the backup it depends on must stay too
    assertThat(backups.list("chain")).extracting(Manifest::id).containsExactly(full.id(), child.id(), newest.id());
    assertThat(backups.verify(full.id()).parts()).isEqualTo(1);
    assertThat(events).anyMatch(e -> e instanceof BackupEvent.Warning w && w.message().contains("could not delete backup " + child.id()));
  }

  @Test
  void deleteRefusesABackupThatGainedADependentWhileItWaitedForTheLock() {
    Manifest full = backups.backup(BackupJob.builder().backupSet("chain").source(new TestSources.Source(1, 100, 1)).build());
    Manifest[] child = new Manifest[1];
    // an incremental backup of the set commits between delete's dependents check and its taking the set's lock
    sink.beforeLockWrite = () -> child[0] = backups.backup(BackupJob.builder().backupSet("chain").source(incremental(2)).build());

    assertThatThrownBy(() -> backups.delete(full.id())).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("depend on it");

    assertThat(child[0].parentId()).isEqualTo(full.id());
    assertThat(backups.list("chain")).extracting(Manifest::id).containsExactly(full.id(), child[0].id());
    assertThat(backups.verify(full.id()).parts()).isEqualTo(1);
    assertThat(sink.keys("locks/")).isEmpty();
  }

  @Test
  void aFailedManifestDeleteLeavesTheBackupCompleteAndNoMarker() {
    Manifest m = backup(1, 100, 1);
    sink.retained.put("catalog/" + m.id() + ".json", Instant.now().plusSeconds(3600));
    sink.hideRetention = true; // the storage refuses only when asked to delete
    assertThatThrownBy(() -> backups.delete(m.id())).isInstanceOf(io.backup4j.api.AccessDeniedException.class);
    assertThat(sink.keys("pending/")).isEmpty();
    assertThat(backups.verify(m.id()).parts()).isEqualTo(1);
    assertThat(backups.backup(BackupJob.builder().source(new TestSources.Source(1, 100, 1)).build())).isNotNull();
  }

  @Test
  void aJobsTransformParametersAreNotPrintedByToString() {
    BackupJob job = BackupJob.builder().source("test:x").transform("aes-gcm", Map.of("key", "c2VjcmV0LWtleS1ieXRlcw==",
        "segmentSize", "65536")).build();
    assertThat(job.transforms().toString()).contains("aes-gcm").contains("key=****").contains("segmentSize=65536")
        .doesNotContain("c2VjcmV0LWtleS1ieXRlcw==");
  }

  @Test
  void aBackupDoesNotCloseTheStorageClientUnderARestoreOfTheSameInstance() throws IOException {
    String repo = "mem:shared-client-" + System.nanoTime();
    Manifest m;
    try (Backups first = Backups.builder().repository(repo).build()) {
      m = first.backup(BackupJob.builder().source(new TestSources.Source(1, 300_000, 5)).build());
    }
    try (Backups b = Backups.builder().repository(repo).build();
        java.io.InputStream reading = b.openPart(m.id(), "part-0", Map.of())) { // opens the repository read-only
      byte[] head = reading.readNBytes(1000);
      // another thread of the application starts a backup meanwhile, which needs the repository writable
      assertThat(b.backup(BackupJob.builder().source(new TestSources.Source(1, 100, 6)).build())).isNotNull();
      byte[] rest = reading.readAllBytes();
      byte[] all = new byte[head.length + rest.length];
      System.arraycopy(head, 0, all, 0, head.length);
      System.arraycopy(rest, 0, all, head.length, rest.length);
      assertThat(all).isEqualTo(TestSources.data("part-0", 300_000, 5));
    }
  }

  @Test
  void retentionRulesParseAndValidate() {
    assertThat(KeepPolicy.parse("last=7,daily=14").describe()).isEqualTo("keep daily=14,last=7");
    assertThatThrownBy(() -> KeepPolicy.parse("lots=3")).isInstanceOf(ConfigurationException.class).hasMessageContaining("known rules");
    assertThatThrownBy(() -> KeepPolicy.parse("within=3 days")).isInstanceOf(ConfigurationException.class);
    assertThatThrownBy(() -> KeepPolicy.of(Map.of())).isInstanceOf(ConfigurationException.class);
  }

  @Test
  void verifyAfterBackupReadsEverythingBack() {
    Manifest m = backups.backup(BackupJob.builder().source(new TestSources.Source(2, 1000, 5)).verifyAfterBackup(true).build());
    assertThat(events).anyMatch(e -> e instanceof BackupEvent.Finished f && f.operation() == io.backup4j.api.Operation.VERIFY
        && f.backupId().equals(m.id()));
  }

  @Test
  void verifyAfterBackupUsesTheRunsOwnTransformInstances() {
    // an instance no provider can recreate (like a transform holding a key the manifest never records)
    io.backup4j.api.Transform custom = renamed(new TestSources.Xor().create(Map.of("with", "7"), null), "custom-xor");
    Manifest m = backups.backup(BackupJob.builder().source(new TestSources.Source(2, 5000, 9)).transform(custom)
        .verifyAfterBackup(true).build());
    assertThat(backups.list()).extracting(Manifest::id).containsExactly(m.id());
  }

  @Test
  void backupThatFailsItsVerificationIsRemoved() {
    io.backup4j.api.Transform xor = new TestSources.Xor().create(Map.of("with", "7"), null);
    io.backup4j.api.Transform broken = new io.backup4j.api.Transform() {
      @Override
      public io.backup4j.api.TransformSpec spec() {
        return xor.spec();
      }

      @Override
      public java.io.OutputStream encode(java.io.OutputStream downstream) throws IOException {
        return xor.encode(downstream);
      }

      @Override
      public java.io.InputStream decode(java.io.InputStream upstream) throws IOException {
        return new TestSources.Xor().create(Map.of("with", "8"), null).decode(upstream); // the wrong key
      }
    };
    assertThatThrownBy(() -> backups.backup(BackupJob.builder().source(new TestSources.Source(1, 5000, 9)).transform(broken)
        .verifyAfterBackup(true).build()))
        .isInstanceOf(IntegrityException.class).hasMessageContaining("failed its verification and was removed");
    assertThat(backups.list()).isEmpty();
    assertThat(sink.keys("data/")).isEmpty();
  }

  @Test
  void aTransformWhoseEncoderDoesNotCloseItsDownstreamStillStoresEveryByte() {
    // a third-party encoder that breaks the contract of Transform.encode: close() neither flushes nor closes
    io.backup4j.api.Transform xor = new TestSources.Xor().create(Map.of("with", "7"), null);
    io.backup4j.api.Transform sloppy = new io.backup4j.api.Transform() {
      @Override
      public io.backup4j.api.TransformSpec spec() {
        return xor.spec();
      }

      @Override
      public java.io.OutputStream encode(java.io.OutputStream downstream) throws IOException {
        java.io.OutputStream enc = xor.encode(downstream);
        return new java.io.FilterOutputStream(enc) {
          @Override
          public void close() {}
        };
      }

      @Override
      public java.io.InputStream decode(java.io.InputStream upstream) throws IOException {
        return xor.decode(upstream);
      }
    };
    Manifest m = backups.backup(BackupJob.builder().source(new TestSources.Source(2, 5000, 9)).transform(sloppy).build());
    assertThat(m.parts()).allSatisfy(p -> assertThat(p.storedSize()).isEqualTo(5000));
    assertThat(sink.objects.get(m.parts().get(0).key())).hasSize(5000);
    assertThat(restore(m, "t").get("part-1")).isEqualTo(TestSources.data("part-1", 5000, 9));
  }

  @Test
  void anEncoderThatFailsToOpenLeavesNoPipelineThreadBehind() {
    io.backup4j.api.Transform xor = new TestSources.Xor().create(Map.of("with", "7"), null);
    io.backup4j.api.Transform failing = new io.backup4j.api.Transform() {
      @Override
      public io.backup4j.api.TransformSpec spec() {
        return xor.spec();
      }

      @Override
      public java.io.OutputStream encode(java.io.OutputStream downstream) throws IOException {
        throw new IOException("cannot initialise the encoder");
      }

      @Override
      public java.io.InputStream decode(java.io.InputStream upstream) throws IOException {
        return xor.decode(upstream);
      }
    };
    io.backup4j.api.BackupSource source = TestSources.source("test:encoder-failure", session -> {
      try (PartWriter w = session.openPart("encoder-failure-part")) {
        w.commit();
      }
    });
    assertThatThrownBy(() -> backups.backup(BackupJob.builder().source(source).transform(failing).build()))
        .hasMessageContaining("cannot initialise the encoder");
    // the stage threads are stopped and joined before the failure is reported
    assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().endsWith("-encoder-failure-part"));
    assertThat(sink.keys("data/")).isEmpty();
  }

  @Test
  void partsWrittenFromSeveralThreadsAreListedInTheOrderTheSourceOpenedThemAndAllRestore() throws Exception {
    // a parallel source (pg_dump's directory format with jobs) commits its parts in another order than it opened them
    int n = 6;
    io.backup4j.api.BackupSource source = TestSources.source("test:parallel", session -> {
      List<PartWriter> writers = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        writers.add(session.openPart("p" + i));
      }
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
      try {
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(n);
        java.util.concurrent.CountDownLatch[] committedParts = new java.util.concurrent.CountDownLatch[n];
        for (int i = 0; i < n; i++) {
          committedParts[i] = new java.util.concurrent.CountDownLatch(1);
        }
        for (int i = n - 1; i >= 0; i--) {
          int part = i;
          done.add(pool.submit(() -> {
            try (PartWriter w = writers.get(part)) {
              byte[] data = ("part " + part + " ").repeat(1000 + part).getBytes(StandardCharsets.UTF_8);
              w.stream().write(data);
              written.countDown();
              written.await();
              // the last opened commits first, the first opened last
              if (part < n - 1) {
                committedParts[part + 1].await();
              }
              w.commit();
              committedParts[part].countDown();
            }
            return null;
          }));
        }
        for (java.util.concurrent.Future<?> f : done) {
          f.get();
        }
      } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
        throw new IOException(e);
      } finally {
        pool.shutdownNow();
      }
    });
    events.clear();
    Manifest m = backups.backup(BackupJob.builder().source(source).build());
    List<String> committed = events.stream().filter(e -> e instanceof BackupEvent.PartFinished)
        .map(e -> ((BackupEvent.PartFinished) e).part().name()).toList();
    assertThat(committed).as("the order the parts committed in").containsExactly("p5", "p4", "p3", "p2", "p1", "p0");
    assertThat(m.parts()).extracting(PartInfo::name).containsExactly("p0", "p1", "p2", "p3", "p4", "p5");
    Manifest reread = backups.list().stream().filter(x -> x.id().equals(m.id())).findFirst().orElseThrow();
    assertThat(reread.parts()).extracting(PartInfo::name).containsExactly("p0", "p1", "p2", "p3", "p4", "p5");
    for (int i = 0; i < n; i++) {
      try (java.io.InputStream in = backups.openPart(m.id(), "p" + i, Map.of())) {
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
            .isEqualTo(("part " + i + " ").repeat(1000 + i));
      }
    }
    backups.verify(m.id(), Map.of());
  }

  @Test
  void aBackupThatFailsItsVerificationButCannotBeRemovedIsReportedAsAnIntegrityFailure() {
    sink.retainAllUntil = Instant.now().plusSeconds(3600); // every new object is immutable for an hour
    io.backup4j.api.Transform xor = new TestSources.Xor().create(Map.of("with", "7"), null);
    io.backup4j.api.Transform broken = new io.backup4j.api.Transform() {
      @Override
      public io.backup4j.api.TransformSpec spec() {
        return xor.spec();
      }

      @Override
      public java.io.OutputStream encode(java.io.OutputStream downstream) throws IOException {
        return xor.encode(downstream);
      }

      @Override
      public java.io.InputStream decode(java.io.InputStream upstream) throws IOException {
        return new TestSources.Xor().create(Map.of("with", "8"), null).decode(upstream); // the wrong key
      }
    };
    assertThatThrownBy(() -> backups.backup(BackupJob.builder().source(new TestSources.Source(1, 5000, 9)).transform(broken)
        .verifyAfterBackup(true).build()))
        .isInstanceOf(IntegrityException.class).hasMessageContaining("failed its verification")
        .hasMessageContaining("could not be removed").hasMessageContaining("protected from deletion");
  }

  private static io.backup4j.api.Transform renamed(io.backup4j.api.Transform t, String name) {
    return new io.backup4j.api.Transform() {
      @Override
      public io.backup4j.api.TransformSpec spec() {
        return new io.backup4j.api.TransformSpec(name, t.spec().parameters());
      }

      @Override
      public java.io.OutputStream encode(java.io.OutputStream downstream) throws IOException {
        return t.encode(downstream);
      }

      @Override
      public java.io.InputStream decode(java.io.InputStream upstream) throws IOException {
        return t.decode(upstream);
      }
    };
  }

  @Test
  void backupByUriUsesTheSourceProvider() {
    Manifest m = backups.backup(BackupJob.builder().source("test:demo").sourceOption("parts", "1").sourceOption("size", "77")
        .transform("xor", Map.of("with", "3")).build());
    assertThat(m.sourceKind()).isEqualTo("test");
    assertThat(m.transforms().get(0).parameters()).containsEntry("with", "3");
    assertThat(m.backupSet()).startsWith("test-");
    assertThat(restore(m, "x").get("part-0")).hasSize(77);
  }

  private void writeObject(String key, byte[] bytes) throws IOException {
    try (PartWriter w = sink.openWrite(key, WriteMode.OVERWRITE)) {
      w.stream().write(bytes);
      w.commit();
    }
  }
}
