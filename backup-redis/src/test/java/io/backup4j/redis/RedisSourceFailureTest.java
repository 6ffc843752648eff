package io.backup4j.redis;

import static io.backup4j.redis.RedisTestSupport.backup;
import static io.backup4j.redis.RedisTestSupport.restore;
import static io.backup4j.redis.RedisTestSupport.server;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.BackupException;
import io.backup4j.api.CancelledException;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.SourceException;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.testkit.redis.RedisFixture;
import io.backup4j.testkit.redis.RedisTestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Authentication, refused replication, broken and corrupted transfers, and the BGSAVE fallback. */
class RedisSourceFailureTest {
  private static final String PASSWORD = "s3cret-Pa55";

  @TempDir Path tmp;

  @ParameterizedTest(name = "{0} redis-server")
  @ValueSource(strings = {"embedded", "system"})
  void requirepassWithPasswordInUriOrSecretSnapshotsAndNeverShowsThePassword(String kind) throws Exception {
    try (RedisFixture redis = server(kind).requirePass(PASSWORD).start(); RedisTestClient c = redis.client()) {
      c.call("SET", "k", "v");
      String uri = "redis://:" + PASSWORD + "@127.0.0.1:" + redis.port();
      var source = RedisTestSupport.PROVIDER.openSource(java.net.URI.create(uri), Map.of(),
          FakeSessions.context(Map.of(), tmp));
      assertThat(source.identity()).isEqualTo("redis://127.0.0.1:" + redis.port()).doesNotContain(PASSWORD);
      assertThat(source.toString()).doesNotContain(PASSWORD);

      FakeSessions.Backup viaUri = backup(uri, Map.of(), Map.of(), tmp.resolve("a"));
      FakeSessions.Backup viaSecret = backup(redis.uri(), Map.of(), Map.of("redis.password", PASSWORD),
          tmp.resolve("b"));
      assertThat(viaUri.committed).containsExactly("dump.rdb");
      assertThat(viaSecret.committed).containsExactly("dump.rdb");
      assertThat(viaSecret.metadata).containsEntry("redis.db0.keys", "1");
    }
  }

  @Test
  void aclUserWithReplicationRightsSnapshotsAndRestores() throws Exception {
    try (RedisFixture redis = server("embedded")
            .config("user backup on >" + PASSWORD + " ~* &* +psync +sync +replconf +ping +info")
            .config("user default on nopass ~* &* +@all").start();
        RedisTestClient c = redis.client()) {
      RedisData.populate(c, false);
      FakeSessions.Backup b = backup("redis://backup:" + PASSWORD + "@127.0.0.1:" + redis.port(), Map.of(), Map.of(),
          tmp.resolve("parts"));
      FakeSessions.Backup viaOption = backup(redis.uri(), Map.of("user", "backup"),
          Map.of("redis.password", PASSWORD), tmp.resolve("parts2"));
      assertThat(viaOption.committed).containsExactly("dump.rdb");
      try (RedisFixture live = server("embedded").start(); RedisTestClient lc = live.client()) {
        restore(b, live.uri(), Map.of(), Map.of(), tmp.resolve("rt"));
        RedisData.assertSameData(c, lc);
      }
    }
  }

  @Test
  void aclUserWithoutInfoStillSnapshotsAndWarnsThatTheFactsAreMissing() throws Exception {
    try (RedisFixture redis = server("embedded")
            .config("user snap on >" + PASSWORD + " ~* &* +psync +sync +replconf +ping").start();
        RedisTestClient c = redis.client()) {
      c.call("SET", "k", "v");
      FakeSessions.Backup b = backup("redis://snap:" + PASSWORD + "@127.0.0.1:" + redis.port(), Map.of(), Map.of(),
          tmp.resolve("parts"));
      assertThat(b.committed).containsExactly("dump.rdb");
      assertThat(b.metadata).containsEntry("redis.rdbVersion", "9").doesNotContainKey("redis.db0.keys");
      assertThat(b.warnings).anyMatch(w -> w.contains("refused INFO keyspace") && w.contains("+info"));
    }
  }

  @Test
  void aclUserWithoutReplicationRightsGetsAccessDeniedNamingTheFix() throws Exception {
    try (RedisFixture redis = server("embedded")
        .config("user reader on >" + PASSWORD + " ~* &* +@read +ping +info +replconf").start()) {
      assertThatThrownBy(() -> backup("redis://reader:" + PASSWORD + "@127.0.0.1:" + redis.port(), Map.of(),
          Map.of(), tmp.resolve("parts")))
          .isInstanceOf(AccessDeniedException.class)
          .hasMessageContaining("+psync")
          .hasMessageContaining("mode=bgsave")
          .hasMessageNotContaining(PASSWORD);
    }
  }

  @ParameterizedTest(name = "{0} redis-server")
  @ValueSource(strings = {"embedded", "system"})
  void wrongPasswordIsAccessDeniedWithoutThePassword(String kind) throws Exception {
    try (RedisFixture redis = server(kind).requirePass(PASSWORD).start()) {
      Path parts = tmp.resolve("parts");
      assertThatThrownBy(() -> backup("redis://:wrong-password@127.0.0.1:" + redis.port(), Map.of(), Map.of(),
          parts))
          .isInstanceOf(AccessDeniedException.class)
          .hasMessageContaining("refused the credentials")
          .hasMessageNotContaining("wrong-password");
      assertThatThrownBy(() -> backup(redis.uri(), Map.of(), Map.of(), tmp.resolve("p2")))
          .isInstanceOf(AccessDeniedException.class)
          .hasMessageContaining("redis.password");
      assertThat(Files.list(parts).filter(p -> !p.getFileName().toString().startsWith(".")).toList()).isEmpty();
    }
  }

  /**
   * An ACL user (not the default user's requirepass) with a wrong password, given in the URI or as the secret with
   * option {@code user}: the backup and the live restore are both refused as access denied, naming the user but
   * neither the wrong nor the right password, and nothing is written; the right password then works both ways.
   */
  @ParameterizedTest(name = "{0} redis-server")
  @ValueSource(strings = {"embedded", "system"})
  void aclUserWithAWrongPasswordIsRefusedForBackupAndLiveRestoreWithoutShowingAPassword(String kind)
      throws Exception {
    String acl = "user backup on >" + PASSWORD + " ~* &* +@all";
    try (RedisFixture redis = server(kind).config(acl).config("user default off").start();
        RedisFixture target = server(kind).config(acl).config("user default off").start()) {
      String wrongUri = "redis://backup:wrong-password@127.0.0.1:" + redis.port();
      Path parts = tmp.resolve("parts");
      assertThatThrownBy(() -> backup(wrongUri, Map.of(), Map.of(), parts))
          .isInstanceOf(AccessDeniedException.class)
          .hasMessageContaining("refused the credentials of user 'backup'")
          .hasMessageNotContaining("wrong-password").hasMessageNotContaining(PASSWORD);
      assertThatThrownBy(() -> backup(redis.uri(), Map.of("user", "backup"),
          Map.of("redis.password", "wrong-password"), tmp.resolve("p2")))
          .isInstanceOf(AccessDeniedException.class)
          .hasMessageContaining("user 'backup'")
          .hasMessageNotContaining("wrong-password").hasMessageNotContaining(PASSWORD);
      assertThat(Files.list(parts).filter(p -> !p.getFileName().toString().startsWith(".")).toList()).isEmpty();

      RedisTestClient sc = new RedisTestClient(redis.host(), redis.port());
      RedisTestClient tc = new RedisTestClient(target.host(), target.port());
      try (sc; tc) {
        sc.call("AUTH", "backup", PASSWORD);
        tc.call("AUTH", "backup", PASSWORD);
        RedisData.populate(sc, false);
        FakeSessions.Backup b = backup(redis.uri(), Map.of("user", "backup"), Map.of("redis.password", PASSWORD),
            tmp.resolve("good"));
        assertThat(b.committed).containsExactly("dump.rdb");

        String wrongTarget = "redis://backup:wrong-password@127.0.0.1:" + target.port();
        assertThatThrownBy(() -> restore(b, wrongTarget, Map.of(), Map.of(), tmp.resolve("rt1")))
            .isInstanceOf(AccessDeniedException.class)
            .hasMessageContaining("user 'backup'")
            .hasMessageNotContaining("wrong-password").hasMessageNotContaining(PASSWORD);
        assertThatThrownBy(() -> restore(b, target.uri(), Map.of("user", "backup"),
            Map.of("redis.password", "wrong-password"), tmp.resolve("rt2")))
            .isInstanceOf(AccessDeniedException.class)
            .hasMessageNotContaining("wrong-password").hasMessageNotContaining(PASSWORD);
        for (int db = 0; db < 16; db++) {
          tc.call("SELECT", db);
          assertThat(tc.integer("DBSIZE")).as("db %s of the refused target", db).isZero();
        }
        restore(b, target.uri(), Map.of("user", "backup"), Map.of("redis.password", PASSWORD), tmp.resolve("rt3"));
        RedisData.assertSameData(sc, tc);
      }
    }
  }

  @ParameterizedTest(name = "{0} redis-server")
  @ValueSource(strings = {"embedded", "system"})
  void serverRefusingSyncAndPsyncNamesBgsaveModeWhichThenWorks(String kind) throws Exception {
    try (RedisFixture redis = server(kind).config("rename-command SYNC \"\"").config("rename-command PSYNC \"\"")
            .start();
        RedisTestClient c = redis.client()) {
      RedisData.populate(c, true);
      Path parts = tmp.resolve("parts");
      assertThatThrownBy(() -> backup(redis.uri(), Map.of(), Map.of(), parts))
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("refused PSYNC and SYNC")
          .hasMessageContaining("mode=bgsave");

      FakeSessions.Backup b = backup(redis.uri(),
          Map.of("mode", "bgsave", "rdbPath", redis.directory().resolve("dump.rdb").toString()), Map.of(),
          tmp.resolve("parts-bgsave"));
      assertThat(b.committed).containsExactly("dump.rdb");
      assertThat(b.metadata).containsEntry("redis.mode", "bgsave").containsKey("redis.rdbVersion");
      try (RedisFixture live = server(kind).start(); RedisTestClient lc = live.client()) {
        restore(b, live.uri(), Map.of(), Map.of(), tmp.resolve("rt"));
        RedisData.assertSameData(c, lc);
      }
    }
  }

  @ParameterizedTest(name = "{0} redis-server")
  @ValueSource(strings = {"embedded", "system"})
  void serverRefusingOnlyPsyncIsSnapshottedWithSync(String kind) throws Exception {
    try (RedisFixture redis = server(kind).config("rename-command PSYNC \"\"").start();
        RedisTestClient c = redis.client()) {
      RedisData.populate(c, true);
      FakeSessions.Backup b = backup(redis.uri(), Map.of(), Map.of(), tmp.resolve("parts"));
      assertThat(b.committed).containsExactly("dump.rdb");
      try (RedisFixture live = server(kind).start(); RedisTestClient lc = live.client()) {
        restore(b, live.uri(), Map.of(), Map.of(), tmp.resolve("rt"));
        RedisData.assertSameData(c, lc);
      }
    }
  }

  @Test
  void bgsaveModeWithAWrongRdbPathIsRefused() throws Exception {
    try (RedisFixture redis = server("embedded").start()) {
      assertThatThrownBy(() -> backup(redis.uri(), Map.of("mode", "bgsave", "rdbPath",
          tmp.resolve("nowhere.rdb").toString()), Map.of(), tmp.resolve("parts")))
          .isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("rdbPath");
      assertThatThrownBy(() -> backup(redis.uri(), Map.of("mode", "bgsave"), Map.of(), tmp.resolve("p2")))
          .isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("rdbPath");
    }
  }

  @ParameterizedTest(name = "repl-diskless-sync={0}")
  @ValueSource(booleans = {false, true})
  void connectionDroppedMidPayloadFailsAndCommitsNothing(boolean diskless) throws Exception {
    try (RedisFixture redis = server("embedded").disklessSync(diskless).start(); RedisTestClient c = redis.client()) {
      RedisData.populate(c, false); // about 1.6 MB of RDB: the cut at 600 kB falls inside the payload
      try (FaultyProxy proxy = new FaultyProxy(redis.port(), FaultyProxy.Fault.CUT, 600_000)) {
        Path parts = tmp.resolve("parts");
        assertThatThrownBy(() -> backup("redis://127.0.0.1:" + proxy.port(), Map.of(), Map.of(), parts))
            .isInstanceOf(SourceException.class)
            .hasMessageContaining("broke after")
            .hasMessageContaining("nothing was stored");
        assertThat(Files.list(parts).filter(p -> !p.getFileName().toString().startsWith(".")).toList()).isEmpty();
      }
    }
  }

  @ParameterizedTest(name = "repl-diskless-sync={0}")
  @ValueSource(booleans = {false, true})
  void corruptedPayloadFailsItsCrcCheckAndCommitsNothing(boolean diskless) throws Exception {
    try (RedisFixture redis = server("embedded").disklessSync(diskless).start(); RedisTestClient c = redis.client()) {
      RedisData.populate(c, false);
      try (FaultyProxy proxy = new FaultyProxy(redis.port(), FaultyProxy.Fault.FLIP, 900_000)) {
        Path parts = tmp.resolve("parts");
        assertThatThrownBy(() -> backup("redis://127.0.0.1:" + proxy.port(), Map.of(), Map.of(), parts))
            .isInstanceOf(SourceException.class)
            .hasMessageContaining("CRC-64");
        assertThat(Files.list(parts).filter(p -> !p.getFileName().toString().startsWith(".")).toList()).isEmpty();
      }
    }
  }

  @Test
  void brokenTransferThroughTheEngineLeavesNoBackupInTheRepository() throws Exception {
    try (RedisFixture redis = server("embedded").disklessSync(true).start(); RedisTestClient c = redis.client();
        FaultyProxy proxy = new FaultyProxy(redis.port(), FaultyProxy.Fault.CUT, 600_000);
        Backups backups = Backups.builder().repository(tmp.resolve("repo").toUri().toString()).build()) {
      RedisData.populate(c, false);
      assertThatThrownBy(() -> backups.backup(BackupJob.builder().source("redis://127.0.0.1:" + proxy.port())
          .build()))
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("nothing was stored");
      assertThat(backups.list()).isEmpty();
      try (var files = Files.walk(tmp.resolve("repo"))) {
        assertThat(files.filter(Files::isRegularFile).map(p -> tmp.resolve("repo").relativize(p).toString()))
            .noneMatch(p -> p.startsWith("data/") || p.startsWith("catalog/") || p.startsWith("pending/"));
      }
    }
  }

  @Test
  void cancellationStopsASnapshotThatIsWaitingForTheMaster() throws Exception {
    // the master waits 60 s before a diskless transfer, sending keep-alives: the backup blocks on the socket
    try (RedisFixture redis = server("embedded").disklessSync(true).config("repl-diskless-sync-delay 60").start()) {
      Files.createDirectories(tmp.resolve("parts"));
      FakeSessions.Backup session = new FakeSessions.Backup(tmp.resolve("parts"));
      Thread canceller = new Thread(() -> {
        try {
          Thread.sleep(500);
        } catch (InterruptedException ignored) {
          Thread.currentThread().interrupt();
        }
        session.cancellation.cancel();
      });
      canceller.start();
      try (var source = RedisTestSupport.PROVIDER.openSource(java.net.URI.create(redis.uri()), Map.of(),
          FakeSessions.context(Map.of(), tmp))) {
        assertThatThrownBy(() -> source.backup(session)).isInstanceOf(CancelledException.class);
      }
      canceller.join();
      assertThat(session.committed).isEmpty();
    }
  }

  @Test
  void anErrorOnTheSocketReaderThreadFailsTheBackupInsteadOfHangingIt() throws Exception {
    try (RedisFixture redis = server("embedded").start(); RedisTestClient c = redis.client()) {
      RedisData.populate(c, false); // about 1.6 MB: many socket reads
      Files.createDirectories(tmp.resolve("parts"));
      FakeSessions.Backup session = new FakeSessions.Backup(tmp.resolve("parts"));
      // the sink stalls, so the reader must spill to the spool file, whose directory lookup then fails with an
      // Error (as an OutOfMemoryError would on that thread)
      CountDownLatch gate = new CountDownLatch(1);
      session.partWriteGate = gate;
      session.temporaryDirectoryError = new OutOfMemoryError("injected by RedisSourceFailureTest, expected in its log");
      var source = RedisTestSupport.PROVIDER.openSource(java.net.URI.create(redis.uri()),
          Map.of("memoryBuffer", "1"), FakeSessions.context(Map.of(), tmp));
      FutureTask<Void> backup = new FutureTask<>(() -> {
        source.backup(session);
        return null;
      });
      Thread runner = new Thread(backup, "backup-under-test");
      runner.setDaemon(true); // with the bug it never ends
      runner.start();
      assertThat(session.temporaryDirectoryFailed.await(60, TimeUnit.SECONDS)).isTrue();
      gate.countDown();
      // a liveness bound, not a speed check: once the reader died, the consumer must fail rather than wait forever
      assertThatThrownBy(() -> backup.get(60, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(SourceException.class).hasMessageContaining("nothing was stored");
      assertThat(session.committed).isEmpty();
    }
  }

  @Test
  void unknownOptionsAndADatabaseInTheSourceUriAreConfigurationErrors() {
    var ctx = FakeSessions.context(Map.of(), tmp);
    assertThatThrownBy(() -> RedisTestSupport.PROVIDER.openSource(java.net.URI.create("redis://h:1"),
        Map.of("password", "x"), ctx))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("unknown option 'password'");
    assertThatThrownBy(() -> RedisTestSupport.PROVIDER.openSource(java.net.URI.create("redis://h:1/3"), Map.of(),
        ctx))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("every database");
    assertThatThrownBy(() -> RedisTestSupport.PROVIDER.openSource(java.net.URI.create("redis://h:1"),
        Map.of("mode", "dump"), ctx))
        .isInstanceOf(BackupException.class).hasMessageContaining("replication or bgsave");
  }
}
