package io.backup4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.backup4j.testkit.postgres.ContainerPostgresServer;
import io.backup4j.testkit.postgres.EmbeddedPostgresServer;
import io.backup4j.testkit.postgres.PostgresServer;
import io.backup4j.testkit.postgres.PostgresServers;
import io.backup4j.testkit.redis.RedisServers;
import io.backup4j.testkit.redis.RedisTestClient;
import io.backup4j.testkit.s3.S3Servers;
import io.backup4j.testkit.s3.S3Servers.S3Server;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The {@code *Servers.start()} fixtures give working servers of the kind {@link Docker} selects: embedded here (no
 * Docker engine on this machine), containers where Docker exists (unless {@code backup4j.testkit.containers=never}).
 */
class FixtureSelectionTest {
  @Test
  void postgresServersStartGivesAWorkingServerOfTheSelectedKind() throws Exception {
    boolean containers = Docker.useContainers("PostgreSQL 14");
    assumeTrue(containers || EmbeddedPostgresServer.binariesAvailable(14),
        "no embedded PostgreSQL 14 binaries for this OS/architecture and no Docker: fixture not exercised");
    try (PostgresServer pg = PostgresServers.start(14)) {
      assertThat(pg).isInstanceOf(containers ? ContainerPostgresServer.class : EmbeddedPostgresServer.class);
      assertThat(pg.queryValue("postgres", "SELECT 1")).isEqualTo("1");
      assertThat(pg.majorVersion()).isEqualTo(14);
      pg.createDatabase("sel");
      assertThat(pg.databaseExists("sel")).isTrue();
      assertThat(pg.uriWithoutPassword("sel")).doesNotContain(pg.password());
    }
  }

  @Test
  void redisServersStartGivesAServerThatAnswersPing() throws Exception {
    try (Endpoint redis = RedisServers.start(); RedisTestClient c = new RedisTestClient(redis.host(), redis.port())) {
      assertThat(redis.container()).isEqualTo(Docker.useContainers("Redis"));
      assertThat(redis.uri().toString()).isEqualTo("redis://" + redis.host() + ":" + redis.port());
      assertThat(c.string("PING")).isEqualTo("PONG");
      c.call("SET", "k", "v");
      assertThat(c.string("GET", "k")).isEqualTo("v");
    }
  }

  @Test
  void s3ServersStartGivesAServerThatStoresAndReturnsObjects() throws Exception {
    try (S3Server s3 = S3Servers.start();
        S3Client client = S3Client.builder()
            .endpointOverride(s3.uri())
            .region(Region.US_EAST_1)
            .forcePathStyle(true)
            .credentialsProvider(StaticCredentialsProvider.create(
                AwsBasicCredentials.create(s3.accessKey(), s3.secretKey())))
            .build()) {
      assertThat(s3.endpoint().container()).isEqualTo(Docker.useContainers("S3"));
      assertThat(s3.toString()).doesNotContain(s3.secretKey());
      client.createBucket(b -> b.bucket("fixture"));
      client.putObject(b -> b.bucket("fixture").key("a/b"), RequestBody.fromString("payload"));
      assertThat(client.getObjectAsBytes(b -> b.bucket("fixture").key("a/b")).asUtf8String()).isEqualTo("payload");
    }
  }

  @Test
  void withoutDockerAutoModeFallsBackToEmbedded() {
    assumeFalse(Docker.available(), "Docker is available here: the fallback is covered by DockerTest's unit tests");
    assumeFalse(Docker.mode() == Docker.Mode.ALWAYS, "mode always: the fallback is disabled on purpose");
    assertThat(Docker.useContainers("PostgreSQL 14")).isFalse();
  }
}
