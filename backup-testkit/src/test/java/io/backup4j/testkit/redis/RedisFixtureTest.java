package io.backup4j.testkit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

class RedisFixtureTest {
  @AutoClose
  final RedisFixture redis = RedisFixture.embedded().requirePass("pw").start();

  @Test
  void embeddedServerRunsOnALoopbackPortWithItsOwnDirectoryAndStopsOnClose() {
    try (RedisTestClient c = redis.client()) {
      c.call("SET", "k", "v");
      assertThat(c.string("GET", "k")).isEqualTo("v");
    }
    assertThat(redis.version()).startsWith("6.2.");
    assertThat(redis.uri()).isEqualTo("redis://127.0.0.1:" + redis.port());
    Path dir = redis.directory();
    assertThat(dir).isDirectory();

    redis.close();
    assertThat(Files.exists(dir)).isFalse();
    assertThatThrownBy(() -> new RedisTestClient("127.0.0.1", redis.port()).call("PING")).isNotNull();
  }

  @Test
  void aPasswordWithSpacesQuotesAndBackslashesWorks() {
    String pw = "a b \"c\" \\d '#";
    try (RedisFixture r = RedisFixture.embedded().requirePass(pw).start(); RedisTestClient c = r.client()) {
      c.call("SET", "k", "v");
      assertThat(c.string("GET", "k")).isEqualTo("v");
      assertThat(c.list("CONFIG", "GET", "requirepass")).extracting(o -> new String((byte[]) o))
          .containsExactly("requirepass", pw);
      assertThatThrownBy(() -> new RedisTestClient("127.0.0.1", r.port()).call("GET", "k")).hasMessageContaining("NOAUTH");
    }
  }
}
