package io.backup4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backup4j.cli.ExitCodes;
import io.backup4j.cli.Main;
import io.backup4j.testkit.postgres.DatabaseFingerprint;
import io.backup4j.testkit.postgres.EmbeddedPostgresServer;
import io.backup4j.testkit.postgres.RichSchema;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PostgreSQL example, run through the real CLI against a real (embedded, major 14) server holding the rich
 * fixture: {@code backup --set shop --transform zstd --transform aes-gcm:keyFile=...}, then a table-selective restore
 * into {@code staging} and a whole restore into {@code copy}. The CLI runs in its own JVM (as {@link CliSecretsTest}
 * does) because the server's password reaches it the only way the CLI accepts a secret: an environment variable named
 * by {@code --secret-env postgres.password=VAR}, never argv.
 */
class CliPostgresTest {
  static final String PASSWORD_VARIABLE = "B4J_IT_PG_PASSWORD";
  /** The fixture's big table, reduced from its default million rows: the CLI path is under test, not throughput. */
  static final long BIG_ROWS = 20_000;

  record Result(int code, String out, String err) {
    String all() {
      return out + err;
    }
  }

  /** Runs the CLI in its own JVM with {@code env} added to a copy of this environment without PG* variables. */
  static Result cli(Path dir, Map<String, String> env, String... args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "cli", ".out");
    Path err = Files.createTempFile(dir, "cli", ".err");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    // the password must come from --secret-env alone: no inherited PGPASSWORD, no PGPASSFILE
    pb.environment().keySet().removeIf(k -> k.startsWith("PG"));
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("the CLI did not finish within 5 minutes: " + Files.readString(err));
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  static void skipUnless(boolean condition, String reason) {
    if (!condition) {
      System.err.println("SKIPPING " + CliPostgresTest.class.getSimpleName() + ": " + reason);
    }
    assumeTrue(condition, "SKIPPED: " + reason);
  }

  /** pg_dump on PATH (Debian's postgresql-client), for the fidelity check's schema dump. */
  static Optional<Path> onPath(String program) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path p = Path.of(d.isEmpty() ? "." : d, program);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  @Test
  void backupWithZstdAndAesGcmThenRestoreOneTableIntoStagingAndEverythingIntoACopy(@TempDir Path dir)
      throws Exception {
    Optional<Path> pgDump = onPath("pg_dump");
    skipUnless(pgDump.isPresent() && onPath("pg_restore").isPresent(),
        "pg_dump/pg_restore not on PATH (install Debian's postgresql-client; CI does)");
    skipUnless(EmbeddedPostgresServer.binariesAvailable(14),
        "no embedded PostgreSQL 14 binaries (Linux x86-64 only)");

    Path key = dir.resolve("backup.key");
    ByteArrayOutputStream keyOut = new ByteArrayOutputStream();
    int keyCode = Main.run(new String[] {"key", "generate", key.toString()},
        new PrintStream(keyOut, true, StandardCharsets.UTF_8), new PrintStream(keyOut, true, StandardCharsets.UTF_8));
    assertThat(keyCode).as(keyOut.toString(StandardCharsets.UTF_8)).isZero();
    String repo = "file:" + dir.resolve("repo");

    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.builder().start()) {
      pg.createDatabase("shop");
      RichSchema.install(pg, "shop", BIG_ROWS);
      DatabaseFingerprint source = DatabaseFingerprint.of(pg, "shop", pgDump.get());
      String server = "postgres://postgres@127.0.0.1:" + pg.port() + "/";
      Map<String, String> secret = Map.of(PASSWORD_VARIABLE, pg.password());
      String secretEnv = "postgres.password=" + PASSWORD_VARIABLE;

      // without the secret the server refuses: the password below really travels through --secret-env
      Result refused = cli(dir, Map.of(), "backup", "--source", server + "shop", "--repo", repo, "--set", "shop",
          "--no-progress");
      assertThat(refused.code()).as(refused.all()).isEqualTo(ExitCodes.ACCESS_DENIED);

      Result backup = cli(dir, secret, "backup", "--source", server + "shop", "--repo", repo, "--set", "shop",
          "--transform", "zstd", "--transform", "aes-gcm:keyFile=" + key, "--secret-env", secretEnv,
          "--no-progress", "--json");
      assertThat(backup.code()).as(backup.all()).isZero();
      assertThat(backup.all()).doesNotContain(pg.password());
      JsonNode manifest = new ObjectMapper().readTree(backup.out());
      assertThat(manifest.get("backupSet").asText()).isEqualTo("shop");
      assertThat(manifest.get("kind").asText()).isEqualTo("postgres");
      assertThat(manifest.get("transforms").asText()).isEqualTo("zstd,aes-gcm");
      try (Stream<Path> parts = Files.walk(dir.resolve("repo/data"))) {
        assertThat(parts.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
            .containsExactly("dump.pgc.zst.aesgcm");
      }

      Result staging = cli(dir, secret, "restore", "--repo", repo, "latest", "--set", "shop",
          "--target", server + "staging", "--create", "--tables", "app.users",
          "--transform-option", "aes-gcm:keyFile=" + key, "--secret-env", secretEnv, "--no-progress");
      assertThat(staging.code()).as(staging.all()).isZero();
      assertThat(staging.all()).doesNotContain(pg.password());
      // exactly that table, with the same rows (count and order-independent md5), and no other table or view
      assertThat(DatabaseFingerprint.tableDigests(pg, "staging", null))
          .isEqualTo(DatabaseFingerprint.tableDigests(pg, "shop", List.of("app.users")));
      assertThat(pg.queryValue("staging", "SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind, ','"
          + " ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          + " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
          + " AND c.relkind NOT IN ('i', 'I', 'c')"))
          .as("relations of staging").isEqualTo("app.users:r,app.users_id_seq:S");
      assertThat(pg.queryValue("staging", "SELECT count(*) FROM pg_largeobject_metadata")).isEqualTo("0");
      // besides it only what it needs: its column types and domains, and its audit trigger's function
      assertThat(pg.queryValue("staging", "SELECT string_agg(n.nspname || '.' || t.typname, ',' ORDER BY t.typname)"
          + " FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'app'"
          + " AND t.typtype IN ('d', 'e', 'c', 'r') AND t.typcategory <> 'A'"
          + " AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')"))
          .isEqualTo("app.address,app.email,app.mood");
      assertThat(pg.queryValue("staging", "SELECT string_agg(n.nspname || '.' || p.proname, ',') FROM pg_proc p"
          + " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"))
          .isEqualTo("app.audit_fn");
      assertThat(pg.queryValue("staging", "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace"
          + " WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%'"))
          .isEqualTo("app,public");

      Result copy = cli(dir, secret, "restore", "--repo", repo, "latest", "--set", "shop",
          "--target", server + "copy", "--create",
          "--transform-option", "aes-gcm:keyFile=" + key, "--secret-env", secretEnv, "--no-progress");
      assertThat(copy.code()).as(copy.all()).isZero();
      assertThat(copy.all()).doesNotContain(pg.password());
      assertThat(DatabaseFingerprint.of(pg, "copy", pgDump.get())).isEqualTo(source);
    }
  }
}
