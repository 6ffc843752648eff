package io.backup4j.postgres;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.backup4j.api.Manifest;
import io.backup4j.core.Backups;
import io.backup4j.testkit.postgres.EmbeddedPostgresServer;
import io.backup4j.testkit.postgres.PostgresServer;
import io.backup4j.testkit.postgres.PostgresServers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** Shared helpers: locating the client programs (skipping loudly without them) and opening repositories. */
final class PgTestSupport {
  private static final AtomicInteger DB_COUNTER = new AtomicInteger();

  private PgTestSupport() {}

  /** an installed pg_dump (the lowest major), or skips the test with the reason. */
  static Path pgDump() {
    Optional<PgTool> t = installed("pg_dump");
    skipUnless(t.isPresent(), "pg_dump not installed (install Debian's postgresql-client; CI does)");
    return t.get().path();
  }

  /** An installed client major (the lowest), or skips. */
  static int clientMajor() {
    Optional<PgTool> t = installed("pg_dump");
    skipUnless(t.isPresent(), "pg_dump not installed (install Debian's postgresql-client; CI does)");
    skipUnless(installed("pg_restore").isPresent() && installed("psql").isPresent(),
        "pg_restore/psql not installed (install Debian's postgresql-client; CI does)");
    return t.get().major();
  }

  static Optional<PgTool> installed(String tool) {
    try {
      return Optional.of(PgTool.find(tool, 0, "tests", null));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * Starts a server of the given major through the testkit's switch: a Testcontainers {@code postgres:<major>} where
   * a Docker engine is available (see {@code backup4j.testkit.containers}), the embedded server otherwise — skipped
   * when its binaries are not available.
   */
  static PostgresServer start(int major) throws IOException {
    if (!io.backup4j.testkit.Docker.useContainers("PostgreSQL " + major)) {
      skipUnless(EmbeddedPostgresServer.binariesAvailable(major), "no embedded PostgreSQL " + major
          + " binaries (run through Maven, which copies them to target/pg-binaries; Linux x86-64 only)");
    }
    return PostgresServers.start(major);
  }

  /** Skips loudly: the reason goes to stderr ("SKIPPING ...") and into the assumption ("SKIPPED: ..."). */
  static void skipUnless(boolean condition, String reason) {
    if (!condition) {
      System.err.println("SKIPPING: " + reason);
    }
    assumeTrue(condition, "SKIPPED: " + reason);
  }

  static String uniqueDb(String prefix) {
    return prefix + "_" + DB_COUNTER.incrementAndGet();
  }

  static Backups backups(Path repo) {
    return Backups.builder().repository(repo.toUri().toString()).build();
  }

  /** Whether the repository holds no committed backup and no data objects. */
  static boolean repositoryHoldsNoBackup(Path repo) throws IOException {
    if (!Files.exists(repo)) {
      return true;
    }
    try (Backups b = backups(repo)) {
      List<Manifest> all = b.list();
      if (!all.isEmpty()) {
        return false;
      }
    } catch (RuntimeException e) {
      // no repository at all
    }
    Path data = repo.resolve("data");
    if (!Files.exists(data)) {
      return true;
    }
    try (var s = Files.walk(data)) {
      return s.noneMatch(Files::isRegularFile);
    }
  }
}
