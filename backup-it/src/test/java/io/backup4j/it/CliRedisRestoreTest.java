package io.backup4j.it;

import static io.backup4j.it.CliSecretsTest.cli;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.backup4j.testkit.redis.RedisFixture;
import io.backup4j.testkit.redis.RedisTestClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI end to end against Debian's {@code redis-server} 7.0 (RDB 10) with diskless replication: {@code backup
 * --source redis://...} then {@code restore latest --target redis://...} live into a second, empty server, and
 * {@code restore latest --target-dir} into a directory a third server starts from. Each restored server must hold
 * exactly the source's keys in every database, with the same types, values and TTL presence.
 */
class CliRedisRestoreTest {
  @BeforeAll
  static void needsSystemRedis() {
    if (RedisFixture.systemBinary().isEmpty()) {
      System.err.println("SKIPPING CliRedisRestoreTest: no system redis-server (Debian package redis-server, Redis"
          + " 7.0; or set " + RedisFixture.BINARY_ENV + "): the CLI live restore against RDB 10 did not run");
    }
    assumeTrue(RedisFixture.systemBinary().isPresent(), "SKIPPING: no system redis-server");
  }

  @Test
  void backupThenLiveRestoreIntoAnEmptyServerAndDirectoryRestoreKeepEveryKeyAndTtl(@TempDir Path dir)
      throws Exception {
    String repo = "file:" + dir.resolve("repo");
    Path restoredDir = dir.resolve("restored-dir");
    try (RedisFixture source = RedisFixture.system().disklessSync(true).start();
        RedisTestClient sc = source.client();
        RedisFixture target = RedisFixture.system().start();
        RedisTestClient tc = target.client()) {
      assertThat(source.version()).startsWith("7.");
      populate(sc);
      Map<String, String> expected = dump(sc);
      assertThat(expected).hasSizeGreaterThan(1000);
      assertThat(expected.values()).anyMatch(v -> v.contains("ttl=yes")).anyMatch(v -> v.contains("ttl=no"));

      CliSecretsTest.Result backup = cli(dir, Map.of(), "backup", "--source", source.uri(), "--repo", repo,
          "--no-progress");
      assertThat(backup.code()).as(backup.output()).isZero();
      List<Path> manifests;
      try (var s = Files.list(dir.resolve("repo").resolve("catalog"))) {
        manifests = s.filter(p -> p.toString().endsWith(".json")).toList();
      }
      assertThat(manifests).hasSize(1);
      assertThat(Files.readString(manifests.get(0))).as("the snapshot came in the diskless form")
          .containsPattern("\"redis\\.transfer\"\\s*:\\s*\"diskless\"");

      assertThat(tc.integer("DBSIZE")).isZero();
      CliSecretsTest.Result live = cli(dir, Map.of(), "restore", "--repo", repo, "latest", "--target",
          target.uri());
      assertThat(live.code()).as(live.output()).isZero();
      assertThat(dump(tc)).isEqualTo(expected);

      CliSecretsTest.Result files = cli(dir, Map.of(), "restore", "--repo", repo, "latest", "--target-dir",
          restoredDir.toString());
      assertThat(files.code()).as(files.output()).isZero();
      assertThat(restoredDir.resolve("dump.rdb")).isRegularFile();
      try (RedisFixture started = RedisFixture.system().directory(restoredDir).start();
          RedisTestClient rc = started.client()) {
        assertThat(dump(rc)).isEqualTo(expected);
      }
    }
  }

  /** Every type, in databases 0, 3 and 15, some keys with a TTL, plus 1,000 small strings. */
  private static void populate(RedisTestClient c) {
    for (int db : new int[] {0, 3, 15}) {
      c.call("SELECT", db);
      c.call("SET", "str:" + db, "value ü " + db);
      c.call("SET", "bin:" + db, new byte[] {0, 1, '\r', '\n', (byte) 0xff});
      c.call("RPUSH", "list:" + db, "a", "b", "c", "a");
      c.call("HSET", "hash:" + db, "f1", "v1", "f2", "v2");
      c.call("SADD", "set:" + db, "red", "green", "blue");
      c.call("SADD", "intset:" + db, 1, 2, 42);
      c.call("ZADD", "zset:" + db, 1, "one", 2.5, "two-and-a-half");
      c.call("XADD", "stream:" + db, "1-1", "field", "v");
      c.call("SET", "ttl:str:" + db, "expiring", "EX", 3600);
      c.call("HSET", "ttl:hash:" + db, "f", "v");
      c.call("PEXPIRE", "ttl:hash:" + db, 7_200_000);
    }
    c.call("SELECT", 0);
    for (int i = 0; i < 1000; i++) {
      c.call("SET", "small:" + i, "v" + i);
    }
  }

  /** Every key of every database: "db/key" -> type, TTL presence and the value in a canonical form. */
  private static Map<String, String> dump(RedisTestClient c) {
    Map<String, String> all = new TreeMap<>();
    for (int db = 0; db < 16; db++) {
      c.call("SELECT", db);
      for (Object k : c.list("KEYS", "*")) {
        byte[] key = (byte[]) k;
        String type = c.string("TYPE", key);
        String value = switch (type) {
          case "string" -> canonical(List.of(c.call("GET", key)), false);
          case "list" -> canonical(c.list("LRANGE", key, 0, -1), false);
          case "hash" -> canonical(c.list("HGETALL", key), true);
          case "set" -> canonical(c.list("SMEMBERS", key), true);
          case "zset" -> canonical(c.list("ZRANGE", key, 0, -1, "WITHSCORES"), false);
          case "stream" -> canonical(c.list("XRANGE", key, "-", "+"), false);
          default -> throw new AssertionError("unexpected type " + type);
        };
        long pttl = c.integer("PTTL", key);
        all.put(db + "/" + new String(key, StandardCharsets.UTF_8), type + " ttl=" + (pttl > 0 ? "yes" : "no")
            + " " + value);
      }
    }
    c.call("SELECT", 0);
    return all;
  }

  private static String canonical(List<?> items, boolean sort) {
    List<String> out = new ArrayList<>();
    for (Object o : items) {
      out.add(o instanceof byte[] b ? Base64.getEncoder().encodeToString(b)
          : o instanceof List<?> l ? "[" + canonical(l, false) + "]" : String.valueOf(o));
    }
    if (sort) {
      Collections.sort(out); // sets and hashes have no order; a hash's fields and values sort as separate items
    }
    return String.join(",", out);
  }
}
