package io.backup4j.redis;

import static io.backup4j.redis.RedisTestSupport.backup;
import static io.backup4j.redis.RedisTestSupport.restore;
import static io.backup4j.redis.RedisTestSupport.server;
import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.testkit.redis.RedisFixture;
import io.backup4j.testkit.redis.RedisTestClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Snapshots real servers (Redis 6.2 embedded, RDB 9; Debian's Redis 7.0, RDB 10) through both payload forms, then
 * restores each snapshot into a directory (and starts a fresh server on it) and live into another server, comparing
 * every key, value and TTL.
 */
class RedisSnapshotRoundTripTest {
  @TempDir Path tmp;

  static Stream<Arguments> serversAndForms() {
    return Stream.of(
        Arguments.of("embedded", false), Arguments.of("embedded", true),
        Arguments.of("system", false), Arguments.of("system", true));
  }

  @ParameterizedTest(name = "{0} redis-server, repl-diskless-sync={1}")
  @MethodSource("serversAndForms")
  void snapshotOfEveryTypeRestoresToFileAndLive(String kind, boolean diskless) throws Exception {
    try (RedisFixture source = server(kind).disklessSync(diskless).start();
        RedisTestClient sc = source.client()) {
      Map<Integer, Integer> counts = RedisData.populate(sc, true);
      int expectedRdb = source.version().startsWith("6.") ? 9 : 10;

      FakeSessions.Backup b = backup(source.uri(), Map.of(), Map.of(), tmp.resolve("parts"));

      assertThat(b.committed).containsExactly("dump.rdb");
      assertThat(Files.readAllBytes(b.dir.resolve("dump.rdb"))).startsWith(
          ("REDIS00" + (expectedRdb < 10 ? "0" : "") + expectedRdb).getBytes());
      assertThat(b.metadata)
          .containsEntry("redis.transfer", diskless ? "diskless" : "disk")
          .containsEntry("redis.rdbVersion", Integer.toString(expectedRdb))
          .containsEntry("redis.version", source.version())
          .containsEntry("redis.db0.keys", counts.get(0).toString())
          .containsEntry("redis.db1.keys", counts.get(1).toString())
          .containsEntry("redis.db5.keys", counts.get(5).toString())
          .containsKey("redis.usedMemory");
      assertThat(b.metadata.get("redis.crc64")).matches("[0-9a-f]{16}");

      Path dir = tmp.resolve("restored-dir");
      restore(b, dir.toString(), Map.of(), Map.of(), tmp.resolve("rt1"));
      try (RedisFixture restarted = server(kind).directory(dir).start(); RedisTestClient rc = restarted.client()) {
        RedisData.assertSameData(sc, rc);
      }

      try (RedisFixture live = server(kind).start(); RedisTestClient lc = live.client()) {
        FakeSessions.Restore r = restore(b, live.uri(), Map.of(), Map.of(), tmp.resolve("rt2"));
        RedisData.assertSameData(sc, lc);
        assertThat(r.warnings).isEmpty();
      }
    }
  }
}
