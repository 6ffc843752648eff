package io.backup4j.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.Manifest;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.core.RestoreJob;
import io.backup4j.testkit.postgres.DatabaseFingerprint;
import io.backup4j.testkit.postgres.PostgresServer;
import io.backup4j.testkit.postgres.RichSchema;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A backup of a PostgreSQL 14 server restores into a PostgreSQL 15 server (a major-version migration). */
class CrossVersionRestoreTest {
  @Test
  void backupOf14RestoresInto15WithEqualData(@TempDir Path repo) throws Exception {
    PgTestSupport.clientMajor();
    Path pgDump = PgTestSupport.pgDump();
    try (PostgresServer pg14 = PgTestSupport.start(14); PostgresServer pg15 = PgTestSupport.start(15)) {
      pg14.createDatabase("app14");
      RichSchema.install(pg14, "app14", 20_000);
      DatabaseFingerprint source = DatabaseFingerprint.of(pg14, "app14", pgDump);
      try (Backups b = PgTestSupport.backups(repo)) {
        Manifest m = b.backup(BackupJob.builder().source(pg14.uri("app14")).sourceOption("countRows", "true").build());
        b.restore(m.id(), RestoreJob.builder(pg15.uri("app15")).option("create", "true")
            .option("verifyRowCounts", "true").build());
      }
      DatabaseFingerprint restored = DatabaseFingerprint.of(pg15, "app15", pgDump);
      // the schema dumps of two majors legitimately differ (e.g. the public schema's owner and grants in 15)
      assertThat(restored.tables()).isEqualTo(source.tables());
      assertThat(restored.sequences()).isEqualTo(source.sequences());
      assertThat(restored.largeObjects()).isEqualTo(source.largeObjects());
    }
  }
}
