package io.backup4j.redis;

import static io.backup4j.redis.RedisTestSupport.server;
import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.BackupSource;
import io.backup4j.api.Manifest;
import io.backup4j.api.Secret;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.core.RestoreJob;
import io.backup4j.testkit.redis.RedisFixture;
import io.backup4j.testkit.redis.RedisTestClient;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * End to end through the engine and a local repository: snapshots real servers (Redis 6.2 embedded, RDB 9; Debian's
 * Redis 7.0, RDB 10) through both payload forms, verifies the backup, restores it into a directory (and starts a
 * fresh server on it) and live into another server, and compares every key, value and TTL with the source.
 */
class RedisSnapshotRoundTripTest {
  @TempDir Path tmp;

  static Stream<Arguments> serversAndForms() {
    return Stream.of(
        Arguments.of("embedded", false), Arguments.of("embedded", true),
        Arguments.of("system", false), Arguments.of("system", true));
  }

  private Backups backups() {
    return Backups.builder().repository(tmp.resolve("repo").toUri().toString())
        .temporaryDirectory(tmp.resolve("engine-tmp")).build();
  }

  @ParameterizedTest(name = "{0} redis-server, repl-diskless-sync={1}")
  @MethodSource("serversAndForms")
  void snapshotOfEveryTypeRestoresToFileAndLive(String kind, boolean diskless) throws Exception {
    try (RedisFixture source = server(kind).disklessSync(diskless).start();
        RedisTestClient sc = source.client();
        Backups backups = backups()) {
      Map<Integer, Integer> counts = RedisData.populate(sc, true);
      int expectedRdb = source.version().startsWith("6.") ? 9 : 10;

      Manifest m = backups.backup(BackupJob.builder().source(source.uri()).label("test", "roundtrip").build());
      backups.verify(m.id());

      assertThat(m.sourceKind()).isEqualTo("redis");
      assertThat(m.sourceIdentity()).isEqualTo(source.uri());
      assertThat(m.parts()).extracting(p -> p.name()).containsExactly("dump.rdb");
      try (InputStream part = backups.openPart(m.id(), "dump.rdb", Map.of())) {
        assertThat(part.readNBytes(9)).isEqualTo(("REDIS00" + (expectedRdb < 10 ? "0" : "") + expectedRdb).getBytes());
      }
      assertThat(m.sourceMetadata())
          .containsEntry("redis.mode", "replication")
          .containsEntry("redis.transfer", diskless ? "diskless" : "disk")
          .containsEntry("redis.rdbVersion", Integer.toString(expectedRdb))
          .containsEntry("redis.version", source.version())
          .containsEntry("redis.db0.keys", counts.get(0).toString())
          .containsEntry("redis.db1.keys", counts.get(1).toString())
          .containsEntry("redis.db5.keys", counts.get(5).toString())
          .containsKey("redis.usedMemory");
      assertThat(m.sourceMetadata().get("redis.crc64")).matches("[0-9a-f]{16}");
      assertThat(m.rawSize()).isGreaterThan(RedisData.BIG_KEY_BYTES);

      Path dir = tmp.resolve("restored-dir");
      backups.restore(m.id(), RestoreJob.builder(dir.toString()).build());
      try (RedisFixture restarted = server(kind).directory(dir).start(); RedisTestClient rc = restarted.client()) {
        RedisData.assertSameData(sc, rc);
      }

      try (RedisFixture live = server(kind).start(); RedisTestClient lc = live.client()) {
        backups.restore(m.id(), RestoreJob.builder(live.uri()).build());
        RedisData.assertSameData(sc, lc);
      }
    }
  }

  /**
   * A diskless master that waits 2 s for more replicas before it forks ({@code repl-diskless-sync-delay 2}) sends
   * bare {@code \n} keep-alives meanwhile (once a second, from its replication cron, while the replica waits for
   * the save to start). The backup must skip them and complete. A pass-through proxy records what the server sent,
   * proving the keep-alives were really on the wire before the answer to {@code PSYNC}.
   */
  @ParameterizedTest(name = "{0} redis-server")
  @ValueSource(strings = {"embedded", "system"})
  void keepAliveNewlinesBeforeADisklessPayloadAreSkippedAndTheBackupRestores(String kind) throws Exception {
    try (RedisFixture source = server(kind).disklessSync(true).config("repl-diskless-sync-delay 2").start();
        RedisTestClient sc = source.client();
        FaultyProxy proxy = new FaultyProxy(source.port(), FaultyProxy.Fault.NONE, 0)) {
      RedisData.populate(sc, false);
      FakeSessions.Backup b = RedisTestSupport.backup("redis://127.0.0.1:" + proxy.port(), Map.of(), Map.of(),
          tmp.resolve("parts"));

      // The master answers PSYNC with +FULLRESYNC only when the delayed save starts; until then the replica waits
      // with the keep-alives. So they sit between the last reply before PSYNC (to REPLCONF rdb-only) and
      // +FULLRESYNC, whose own CRLF is followed directly by the $EOF: header.
      String wire = new String(proxy.serverPrefix(), java.nio.charset.StandardCharsets.ISO_8859_1);
      int fullResync = wire.indexOf("+FULLRESYNC");
      assertThat(fullResync).as("server sent +FULLRESYNC").isPositive();
      int afterPreviousReply = wire.lastIndexOf("\r\n", fullResync) + 2;
      assertThat(wire.substring(afterPreviousReply, fullResync)).as("bytes between the reply before PSYNC and"
          + " +FULLRESYNC").isNotEmpty().matches("\n+");
      assertThat(wire.indexOf("$EOF:", fullResync)).as("server sent a diskless payload header").isPositive();

      assertThat(b.committed).containsExactly("dump.rdb");
      assertThat(b.metadata).containsEntry("redis.transfer", "diskless");
      try (RedisFixture live = server(kind).start(); RedisTestClient lc = live.client()) {
        RedisTestSupport.restore(b, live.uri(), Map.of(), Map.of(), tmp.resolve("rt"));
        RedisData.assertSameData(sc, lc);
      }
    }
  }

  /**
   * The spool's reason to exist, made deterministic without clocks: the sink's first write blocks on a gate, so the
   * consumer cannot drain anything past the chunk it already took while the socket reader keeps receiving. With a
   * 64 KiB memory buffer and a payload of about 1.6 MB the reader must spill to the spool file; the spool asks the
   * session for its temporary directory exactly then (on its first spill, never before), which the test awaits
   * before it opens the gate. Then the backup must finish, record the spill, delete the spool file, and restore to
   * the same data.
   */
  @ParameterizedTest(name = "repl-diskless-sync={0}")
  @ValueSource(booleans = {false, true})
  void stalledSinkMakesTheSpoolSpillToDiskAndTheBackupStillRestores(boolean diskless) throws Exception {
    try (RedisFixture source = server("embedded").disklessSync(diskless).start();
        RedisTestClient sc = source.client()) {
      RedisData.populate(sc, false);
      Path parts = tmp.resolve("parts");
      Files.createDirectories(parts);
      FakeSessions.Backup session = new FakeSessions.Backup(parts);
      CountDownLatch gate = new CountDownLatch(1);
      session.partWriteGate = gate;
      BackupSource redis = RedisTestSupport.PROVIDER.openSource(URI.create(source.uri()),
          Map.of("memoryBuffer", "64k"), FakeSessions.context(Map.of(), tmp.resolve("ctx")));
      FutureTask<Void> backup = new FutureTask<>(() -> {
        try (redis) {
          redis.backup(session);
        }
        return null;
      });
      Thread runner = new Thread(backup, "backup-under-test");
      runner.setDaemon(true);
      runner.start();
      boolean spilled;
      try {
        // liveness bounds, not speed checks: the spill needs no more than the server sending 1.6 MB over loopback
        spilled = session.temporaryDirectoryRequested.await(60, TimeUnit.SECONDS);
      } finally {
        gate.countDown();
      }
      backup.get(120, TimeUnit.SECONDS);
      assertThat(spilled).as("the spool asked for its temporary directory (= spilled to a file) while the sink"
          + " was stalled").isTrue();

      assertThat(session.committed).containsExactly("dump.rdb");
      long rdbBytes = Long.parseLong(session.metadata.get("redis.rdbBytes"));
      long spoolMax = Long.parseLong(session.metadata.get("redis.spoolMaxBytes"));
      assertThat(Files.size(parts.resolve("dump.rdb"))).isEqualTo(rdbBytes);
      assertThat(spoolMax).isPositive().isLessThan(rdbBytes);
      assertThat(session.metadata).containsEntry("redis.transfer", diskless ? "diskless" : "disk");
      try (var left = Files.list(parts.resolve(".tmp"))) {
        assertThat(left.map(p -> p.getFileName().toString())).as("spool files left behind").isEmpty();
      }
      try (RedisFixture live = server("embedded").start(); RedisTestClient lc = live.client()) {
        RedisTestSupport.restore(session, live.uri(), Map.of(), Map.of(), tmp.resolve("rt"));
        RedisData.assertSameData(sc, lc);
      }
    }
  }

  /**
   * The same through the engine with the source's part stream throttled (512 KiB/s). Whether the spool spills here
   * depends on timing (the limiter starts with a full bucket; pauses give credit back), so only what must hold
   * either way is asserted: the backup completes, records a spool size within the payload, and restores to the
   * same data. The deterministic spill is {@link #stalledSinkMakesTheSpoolSpillToDiskAndTheBackupStillRestores}.
   */
  @Test
  void throttledDrainThroughTheEngineStillBacksUpAndRestores() throws Exception {
    try (RedisFixture source = server("embedded").start(); RedisTestClient sc = source.client();
        Backups backups = backups()) {
      RedisData.populate(sc, false);
      Manifest m = backups.backup(BackupJob.builder().source(source.uri())
          .sourceOption("memoryBuffer", "64k")
          .sourceBytesPerSecond(512L << 10)
          .build());
      backups.verify(m.id());
      long rdbBytes = Long.parseLong(m.sourceMetadata().get("redis.rdbBytes"));
      assertThat(rdbBytes).isGreaterThan(RedisData.BIG_KEY_BYTES);
      assertThat(Long.parseLong(m.sourceMetadata().get("redis.spoolMaxBytes"))).isBetween(0L, rdbBytes);
      try (RedisFixture live = server("embedded").start(); RedisTestClient lc = live.client()) {
        backups.restore(m.id(), RestoreJob.builder(live.uri()).build());
        RedisData.assertSameData(sc, lc);
      }
    }
  }

  @Test
  void passwordFromTheEngineSecretsReachesSourceAndLiveTarget() throws Exception {
    try (RedisFixture source = server("embedded").requirePass("pw-1").start(); RedisTestClient sc = source.client();
        RedisFixture target = server("embedded").requirePass("pw-1").start(); RedisTestClient tc = target.client();
        Backups backups = Backups.builder().repository(tmp.resolve("repo").toUri().toString())
            .secret("redis.password", Secret.of("pw-1")).build()) {
      RedisData.populate(sc, false);
      Manifest m = backups.backup(BackupJob.builder().source(source.uri()).build());
      backups.restore(m.id(), RestoreJob.builder(target.uri()).build());
      RedisData.assertSameData(sc, tc);
      assertThat(Files.readString(tmp.resolve("repo").resolve("catalog").resolve(m.id() + ".json")))
          .doesNotContain("pw-1");
    }
  }
}
