package io.backup4j.redis;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.backup4j.api.BackupSource;
import io.backup4j.api.RestoreTarget;
import io.backup4j.testkit.redis.RedisFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Shared plumbing: server kinds, and backups/restores through the provider with the fake sessions. */
final class RedisTestSupport {
  static final RedisSourceProvider PROVIDER = new RedisSourceProvider();

  private RedisTestSupport() {}

  /** "embedded" (Redis 6.2, RDB 9) or "system" (Debian's redis-server 7.0, RDB 10; skipped loudly if absent). */
  static RedisFixture.Builder server(String kind) {
    if (kind.equals("system")) {
      if (RedisFixture.systemBinary().isEmpty()) {
        System.err.println("SKIPPING a Redis 7.0 (RDB 10) test case: no system redis-server (Debian package"
            + " redis-server, or set " + RedisFixture.BINARY_ENV + ")");
      }
      assumeTrue(RedisFixture.systemBinary().isPresent(),
          "SKIPPED LOUDLY: no system redis-server (Debian package redis-server, Redis 7.0): the RDB 10 tests did not"
              + " run. CI installs it; install it locally or set " + RedisFixture.BINARY_ENV);
      return RedisFixture.system();
    }
    return RedisFixture.embedded();
  }

  static FakeSessions.Backup backup(String uri, Map<String, String> options, Map<String, String> secrets, Path dir)
      throws Exception {
    Files.createDirectories(dir);
    FakeSessions.Backup session = new FakeSessions.Backup(dir);
    try (BackupSource source = PROVIDER.openSource(java.net.URI.create(uri), options,
        FakeSessions.context(secrets, dir))) {
      source.backup(session);
    }
    return session;
  }

  static FakeSessions.Restore restore(FakeSessions.Backup backup, String target, Map<String, String> options,
      Map<String, String> secrets, Path tmp) throws Exception {
    FakeSessions.Restore session = new FakeSessions.Restore(backup.manifest(), backup.dir, tmp);
    try (RestoreTarget t = PROVIDER.openTarget(target, options, FakeSessions.context(secrets, tmp))) {
      t.restore(session);
    }
    return session;
  }
}
