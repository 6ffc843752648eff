package io.backup4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.cli.ExitCodes;
import io.backup4j.cli.Main;
import io.backup4j.testkit.redis.RedisFixture;
import io.backup4j.testkit.redis.RedisTestClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets reach plugins through the CLI without ever being on its command line: a Redis server protected by
 * {@code requirepass} is backed up and restored with {@code --secret-env redis.password=VAR}, which names the
 * environment variable holding the password. (Before, the CLI had no way to hand over the secret
 * {@code redis.password}: the password had to be written into the {@code redis://:PASSWORD@host} URI, readable by
 * every local user in the process list.)
 */
class CliSecretsTest {
  static final String PASSWORD = "correct-horse-battery-staple";

  record Result(int code, String output) {}

  /** Runs the CLI in its own JVM with {@code env} added to its environment. */
  static Result cli(Path dir, Map<String, String> env, String... args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "cli", ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("the CLI did not finish within 5 minutes: " + Files.readString(log));
    }
    return new Result(p.exitValue(), Files.readString(log));
  }

  @Test
  void passwordProtectedRedisBacksUpAndRestoresWithThePasswordFromTheEnvironment(@TempDir Path dir) throws Exception {
    String repo = "file:" + dir.resolve("repo");
    Path restored = dir.resolve("restored");
    try (RedisFixture redis = RedisFixture.embedded().requirePass(PASSWORD).start();
        RedisTestClient client = redis.client()) {
      for (int i = 0; i < 100; i++) {
        client.call("SET", "key:" + i, "value " + i);
      }
      client.call("HSET", "hash", "field", "ü");
      String source = "redis://127.0.0.1:" + redis.port();

      Result refused = cli(dir, Map.of(), "backup", "--source", source, "--repo", repo, "--no-progress");
      assertThat(refused.code()).as(refused.output()).isEqualTo(ExitCodes.ACCESS_DENIED);

      Result unset = cli(dir, Map.of(), "backup", "--source", source, "--repo", repo, "--no-progress",
          "--secret-env", "redis.password=BACKUP4J_IT_UNSET_VARIABLE");
      assertThat(unset.code()).as(unset.output()).isEqualTo(ExitCodes.USAGE);
      assertThat(unset.output()).contains("BACKUP4J_IT_UNSET_VARIABLE").contains("not set");

      Result backup = cli(dir, Map.of("REDIS_PW", PASSWORD), "backup", "--source", source, "--repo", repo,
          "--no-progress", "--secret-env", "redis.password=REDIS_PW");
      assertThat(backup.code()).as(backup.output()).isZero();
      assertThat(backup.output()).doesNotContain(PASSWORD);

      Result restore = cli(dir, Map.of(), "restore", "latest", "--repo", repo, "--target-dir", restored.toString());
      assertThat(restore.code()).as(restore.output()).isZero();
    }
    assertThat(restored.resolve("dump.rdb")).isRegularFile();
    try (RedisFixture copy = RedisFixture.embedded().directory(restored).start();
        RedisTestClient client = copy.client()) {
      assertThat(client.integer("DBSIZE")).isEqualTo(101);
      assertThat(client.string("GET", "key:42")).isEqualTo("value 42");
      assertThat(client.string("HGET", "hash", "field")).isEqualTo("ü");
    }
  }

  static String read(Path p) throws IOException {
    return Files.readString(p);
  }
}
