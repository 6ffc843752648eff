package io.backup4j.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.ConfigurationException;
import io.backup4j.api.spi.SourceProvider;
import io.backup4j.testkit.TestProviderContext;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OptionsValidationTest {
  @TempDir Path tmp;

  private PostgresSource source(Map<String, String> options) {
    return (PostgresSource) new PostgresSourceProvider().openSource(URI.create("postgres://u@h/db"), options,
        TestProviderContext.of(tmp));
  }

  @Test
  void providerIsFoundThroughServiceLoaderByNameAndSchemes() {
    List<SourceProvider> found = ServiceLoader.load(SourceProvider.class).stream().map(ServiceLoader.Provider::get)
        .filter(p -> p.name().equals("postgres")).toList();
    assertThat(found).hasSize(1);
    assertThat(found.get(0).schemes()).contains("postgres", "postgresql", "jdbc");
    assertThat(found.get(0).sensitiveOptions()).contains("password");
  }

  @Test
  void unknownOptionsAndBadValuesAreRefused() {
    assertThatThrownBy(() -> source(Map.of("fromat", "custom"))).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("unknown postgres source option 'fromat'").hasMessageContaining("format");
    assertThatThrownBy(() -> source(Map.of("format", "tar"))).hasMessageContaining("custom");
    assertThatThrownBy(() -> source(Map.of("jobs", "4"))).hasMessageContaining("format=directory");
    assertThatThrownBy(() -> source(Map.of("schemaOnly", "true", "dataOnly", "true")))
        .hasMessageContaining("exclude each other");
    assertThatThrownBy(() -> source(Map.of("countRows", "maybe"))).hasMessageContaining("not a boolean");
  }

  @Test
  void rowCountsOfEveryTableAreRefusedWithAFilterThatLeavesTablesOut() {
    for (String filter : List.of("schemas", "excludeSchemas", "tables", "excludeTables", "excludeTableData")) {
      assertThatThrownBy(() -> source(Map.of("countRows", "true", filter, "app.x")))
          .isInstanceOf(ConfigurationException.class).hasMessageContaining("countRows")
          .hasMessageContaining(filter);
    }
    assertThatThrownBy(() -> source(Map.of("countRows", "true", "schemaOnly", "true")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("needs data");
    assertThat(source(Map.of("countRows", "true", "noOwner", "true"))).isNotNull();
  }

  @Test
  void dumpArgumentsFollowTheOptions() {
    PostgresSource s = source(Map.of("schemas", "app, billing", "excludeTables", "app.audit", "noOwner", "true",
        "noPrivileges", "true", "schemaOnly", "true", "pgDumpArgs", "--lock-wait-timeout=10s,--no-comments"));
    assertThat(s.dumpArguments(null)).containsSubsequence("--format=custom", "--verbose", "--no-password",
        "--compress=0", "--schema-only", "--schema=app", "--schema=billing", "--exclude-table=app.audit",
        "--no-owner", "--no-privileges", "--lock-wait-timeout=10s", "--no-comments");
    assertThat(s.dumpArguments(null)).contains("--strict-names");
  }

  @Test
  void extraArgumentsAreAllowListed() {
    assertThat(ExtraArgs.validate(List.of("--no-comments", "--section=pre-data"))).hasSize(2);
    for (String bad : List.of("--file=x", "-f", "--format=plain", "--password", "-W", "--host=h", "--dbname=x",
        "--section=", "--no-comments\n--file=x", "--username=u")) {
      assertThatThrownBy(() -> ExtraArgs.validate(List.of(bad))).as(bad).isInstanceOf(ConfigurationException.class);
    }
  }

  @Test
  void restoreTargetValidatesTablesAndExclusiveOptions() {
    PostgresSourceProvider p = new PostgresSourceProvider();
    TestProviderContext ctx = TestProviderContext.of(tmp);
    assertThatThrownBy(() -> p.openTarget("postgres://u@h/db", Map.of("tables", "users"), ctx))
        .hasMessageContaining("schema.table");
    assertThatThrownBy(() -> p.openTarget("postgres://u@h/db", Map.of("clean", "true", "dataOnly", "true"), ctx))
        .hasMessageContaining("exclude each other");
    assertThatThrownBy(() -> p.openTarget("postgres://u@h/db", Map.of("cleen", "true"), ctx))
        .hasMessageContaining("unknown postgres restore option 'cleen'");
    assertThat(p.openTarget("postgres://u:pw@h/db", Map.of("assert.users", "SELECT true"), ctx).describe())
        .isEqualTo("postgres://u@h:5432/db");
  }

  @Test
  void plainBackupTakenWithCreateIsRefusedBeforeTheRestoreConnects() {
    // such a script connects to the source's database name itself: the restore would leave its target
    Map<String, String> meta = Map.of("postgres.format", "plain", "postgres.pgDumpMajor", "15",
        "postgres.options", "--format=plain --verbose --no-password --clean --create");
    io.backup4j.api.Manifest m = new io.backup4j.api.Manifest(io.backup4j.api.Manifest.FORMAT_VERSION,
        io.backup4j.api.BackupId.generate(java.time.Instant.now()), "s", "postgres", "postgres://u@h:5432/db",
        Map.of(), java.time.Instant.now(), java.time.Instant.now(), io.backup4j.api.BackupStatus.COMPLETE,
        List.of(), List.of(), null, meta, "test");
    io.backup4j.api.RestoreSession session = new io.backup4j.api.RestoreSession() {
      @Override
      public io.backup4j.api.Manifest manifest() {
        return m;
      }

      @Override
      public java.io.InputStream openPart(String name) {
        throw new AssertionError("must not read the backup");
      }

      @Override
      public void progress(String unit, long done, long total, String message) {}

      @Override
      public void warn(String message) {}

      @Override
      public io.backup4j.api.Cancellation cancellation() {
        return new io.backup4j.api.Cancellation();
      }

      @Override
      public Path temporaryDirectory() {
        return tmp;
      }
    };
    // port 1 on loopback: were the check missing, the restore would fail to connect instead
    var target = new PostgresSourceProvider().openTarget("postgres://u:pw@127.0.0.1:1/elsewhere",
        Map.of("create", "true"), TestProviderContext.of(tmp));
    assertThatThrownBy(() -> target.restore(session)).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("--create").hasMessageContaining("psql");
  }

  @Test
  void pgToolVersionsAreParsed() {
    assertThat(PgTool.parse(Path.of("/x"), "pg_dump (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"))
        .hasValueSatisfying(t -> {
          assertThat(t.major()).isEqualTo(15);
          assertThat(t.minor()).isEqualTo(14);
          assertThat(t.version()).isEqualTo("15.14");
        });
    assertThat(PgTool.parse(Path.of("/x"), "pg_dump (PostgreSQL) 17devel")).hasValueSatisfying(
        t -> assertThat(t.major()).isEqualTo(17));
    assertThat(PgTool.parse(Path.of("/x"), "pg_dump (PostgreSQL) 9.6.24")).hasValueSatisfying(
        t -> assertThat(t.major()).isEqualTo(9));
    assertThat(PgTool.parse(Path.of("/x"), "nonsense")).isEmpty();
  }

  @Test
  void findWaitsForTheProbesPrefetchStartedAndPicksTheLowestSufficientMajor(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    Path good = fakeTool(dir.resolve("good"), "pg_restore", "echo 'pg_restore (PostgreSQL) 16.3'");
    Path broken = fakeTool(dir.resolve("broken"), "pg_restore", "echo 'no version here'; exit 3");
    PgTool.prefetch("pg_restore", good); // answered on another thread; find joins it
    PgTool found = PgTool.find("pg_restore", 15, "the archive", good);
    assertThat(found.path()).isEqualTo(good.resolve("pg_restore"));
    assertThat(found.version()).isEqualTo("16.3");
    PgTool.prefetch("pg_restore", broken);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PgTool.find("pg_restore", 15, "the archive", broken))
        .isInstanceOf(io.backup4j.api.ConfigurationException.class)
        .hasMessageContaining("pg_restore not found in binDir " + broken);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PgTool.find("pg_restore", 17, "the server", good))
        .isInstanceOf(io.backup4j.api.ConfigurationException.class)
        .hasMessageContaining("pg_restore 16.3").hasMessageContaining("needs pg_restore 17 or newer");
  }

  private static Path fakeTool(Path dir, String name, String body) throws java.io.IOException {
    java.nio.file.Files.createDirectories(dir);
    Path exe = dir.resolve(name);
    java.nio.file.Files.writeString(exe, "#!/bin/sh\n" + body + "\n");
    java.nio.file.Files.setPosixFilePermissions(exe, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    return dir;
  }

  @Test
  void rowCountsSurviveIdentifiersWithDotsEqualsAndNewlines() {
    Map<String, Long> counts = new java.util.LinkedHashMap<>();
    counts.put(Jdbc.key("a.b", "c=d\ne"), 5L);
    counts.put(Jdbc.key("public", "users"), 0L);
    assertThat(Jdbc.decodeCounts(Jdbc.encodeCounts(counts))).isEqualTo(counts);
  }

  @Test
  void databaseSettingsAreWrittenBackAsPgDumpallWouldWriteThem() {
    assertThat(PostgresRestoreTarget.settingValue("search_path", "\"$user\", app, \"Odd, \"\"Schema\"\"\""))
        .isEqualTo("'$user', 'app', 'Odd, \"Schema\"'");
    assertThat(PostgresRestoreTarget.settingValue("work_mem", "64MB")).isEqualTo("'64MB'");
    assertThat(PostgresRestoreTarget.settingValue("application_name", "it's \\ here"))
        .isEqualTo("E'it''s \\\\ here'");
  }
}
