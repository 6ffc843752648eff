package io.backup4j.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.backup4j.api.ConfigurationException;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.testkit.postgres.PostgresServer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server newer than every installed pg_dump is refused before anything is dumped or committed, naming both versions
 * and the fix (pg_dump may already have started while the version was read: it aborts on such a server itself).
 */
class VersionMismatchTest {
  @Test
  void serverNewerThanPgDumpFailsBeforeDumpingWithBothVersionsAndTheFix(@TempDir Path repo) throws Exception {
    int client = PgTestSupport.clientMajor();
    assumeTrue(client < 17, "SKIPPED: pg_dump " + client + " can dump a PostgreSQL 17 server; no mismatch to test");
    try (PostgresServer pg17 = PgTestSupport.start(17)) {
      pg17.createDatabase("newer");
      try (Backups b = PgTestSupport.backups(repo)) {
        assertThatThrownBy(() -> b.backup(BackupJob.builder().source(pg17.uri("newer")).build()))
            .isInstanceOf(ConfigurationException.class)
            .hasMessageContaining("pg_dump " + client + ".")
            .hasMessageContaining("PostgreSQL " + pg17.serverVersion())
            .hasMessageContaining("needs pg_dump 17 or newer")
            .hasMessageContaining("binDir");
      }
      assertThat(PgTestSupport.repositoryHoldsNoBackup(repo)).isTrue();
    }
  }
}
