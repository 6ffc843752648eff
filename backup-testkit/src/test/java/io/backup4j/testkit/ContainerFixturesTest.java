package io.backup4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.backup4j.testkit.postgres.ContainerPostgresServer;
import io.backup4j.testkit.redis.RedisServers;
import io.backup4j.testkit.redis.RedisTestClient;
import io.backup4j.testkit.s3.S3Servers;
import io.backup4j.testkit.s3.S3Servers.S3Server;
import java.net.HttpURLConnection;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The container path of the fixtures; runs only where a Docker engine is available (and mode is not never). */
class ContainerFixturesTest {
  // per test (not @BeforeAll) so every container test is reported as skipped, not silently absent
  @BeforeEach
  void requireDocker() {
    boolean use = Docker.mode() != Docker.Mode.NEVER && Docker.available();
    if (!use) {
      System.err.println("[backup4j testkit] SKIPPING container fixture tests: "
          + (Docker.mode() == Docker.Mode.NEVER ? Docker.MODE_PROPERTY + "=never"
              : "no Docker engine available to Testcontainers") + " (CI with Docker runs them)");
    }
    assumeTrue(use, "container fixtures need a Docker engine (Testcontainers found none, or "
        + Docker.MODE_PROPERTY + "=never)");
  }

  @Test
  void postgresContainerAcceptsPasswordLoginsOnItsMappedPort() throws Exception {
    try (ContainerPostgresServer pg = ContainerPostgresServer.start(14)) {
      assertThat(pg.majorVersion()).isEqualTo(14);
      assertThat(pg.image()).isEqualTo("postgres:14");
      assertThat(pg.queryValue("postgres", "SELECT 1")).isEqualTo("1");
      assertThat(pg.queryValue("postgres", "SHOW fsync")).isEqualTo("off");
    }
  }

  @Test
  void redisContainerAnswersPing() throws Exception {
    try (Endpoint redis = RedisServers.start(); RedisTestClient c = new RedisTestClient(redis.host(), redis.port())) {
      assertThat(redis.container()).isTrue();
      assertThat(c.string("PING")).isEqualTo("PONG");
      java.util.List<?> delay = c.list("CONFIG", "GET", "repl-diskless-sync-delay");
      assertThat(new String((byte[]) delay.get(1), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("0");
    }
  }

  @Test
  void minioContainerRefusesUnsignedRequests() throws Exception {
    try (S3Server s3 = S3Servers.start()) {
      assertThat(s3.endpoint().container()).isTrue();
      HttpURLConnection c = (HttpURLConnection) s3.uri().resolve("/fixture").toURL().openConnection();
      assertThat(c.getResponseCode()).isEqualTo(403);
      c.disconnect();
    }
  }
}
