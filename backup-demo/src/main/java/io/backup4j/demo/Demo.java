package io.backup4j.demo;

import io.backup4j.api.Manifest;
import io.backup4j.api.Secret;
import io.backup4j.cli.Main;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.core.RestoreJob;
import io.backup4j.testkit.postgres.DatabaseFingerprint;
import io.backup4j.testkit.postgres.EmbeddedPostgresServer;
import io.backup4j.testkit.postgres.RichSchema;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The README's demo: starts an embedded PostgreSQL, fills a database with a rich sample schema and data, backs it up
 * with pg_dump through zstd and AES-256-GCM into a fresh local repository, lists and verifies the backup, restores it
 * into a new database and compares schema and every table's data. Prints a short report; exit code 0 only if the
 * restored database is identical.
 *
 * <p>Without a {@code pg_dump} on this machine it says how to install one and runs the file-tree demo instead.
 */
public final class Demo {
  private Demo() {}

  /**
   * Runs the demo. Returns normally (exit code 0) if the restored database is identical; otherwise throws, which
   * makes the JVM exit with a non-zero code (only backup-cli may end the JVM itself).
   */
  public static void main(String[] args) throws Exception {
    long rows = args.length > 0 ? Long.parseLong(args[0]) : 200_000;
    int code = run(rows, System.out);
    if (code != 0) {
      throw new IllegalStateException("the demo failed with code " + code + "; see the report above");
    }
  }

  /** Runs the demo; returns 0 if the restored database equals the original. */
  public static int run(long rows, PrintStream out) throws Exception {
    Optional<Path> pgDump = findPgDump();
    if (pgDump.isEmpty()) {
      out.println("pg_dump was not found (PATH, /usr/lib/postgresql/*/bin). The PostgreSQL demo needs it:");
      out.println("  Debian/Ubuntu: apt-get install postgresql-client");
      out.println("Running the file-tree demo instead.\n");
      return Main.run(new String[] {"demo"}, out, System.err);
    }
    Path work = Files.createTempDirectory("backup4j-demo-");
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.builder().start()) {
      out.printf(Locale.ROOT, "backup4j demo: embedded PostgreSQL %s on 127.0.0.1:%d, %s%n", pg.serverVersion(), pg.port(),
          version(pgDump.get()));
      pg.createDatabase("shop");
      long t0 = System.nanoTime();
      List<String> extensions = RichSchema.install(pg, "shop", rows);
      String size = pg.queryValue("shop", "SELECT pg_size_pretty(pg_database_size('shop'))");
      out.printf(Locale.ROOT, "1. sample data  database shop: %s, %,d rows in %s, extensions %s (%d ms)%n", size, rows,
          RichSchema.BIG_TABLE, extensions, ms(t0));

      Path keyFile = work.resolve("demo.key");
      byte[] key = new byte[32];
      new SecureRandom().nextBytes(key);
      Files.writeString(keyFile, HexFormat.of().formatHex(key), StandardCharsets.US_ASCII);
      Files.setPosixFilePermissions(keyFile, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      Path repo = work.resolve("repo");
      try (Backups backups = Backups.builder().repository("file:" + repo)
          .secret("postgres.password", Secret.of(pg.password())).build()) {
        long t1 = System.nanoTime();
        Manifest m = backups.backup(BackupJob.builder().source(pg.uriWithoutPassword("shop"))
            .transform("zstd", Map.of("level", "3"))
            .transform("aes-gcm", Map.of("keyFile", keyFile.toString()))
            .label("demo", "true").build());
        out.printf(Locale.ROOT, "2. backup       %s -> file:%s%n                 %s raw -> %s stored (zstd + aes-gcm), %d part(s), %d ms%n",
            m.id(), repo, human(m.rawSize()), human(m.storedSize()), m.parts().size(), ms(t1));
        out.printf(Locale.ROOT, "3. list         %d backup(s): %s%n", backups.list().size(), backups.list().stream().map(x -> x.id().value()).toList());
        RestoreJob.Builder rj = RestoreJob.builder(pg.uriWithoutPassword("shop_restored")).option("create", "true")
            .transformOption("aes-gcm", "keyFile", keyFile.toString());
        RestoreJob restore = rj.build();
        long t2 = System.nanoTime();
        backups.verify(m.id(), restore.transformOptions());
        out.printf(Locale.ROOT, "4. verify       every part decrypted, decompressed and checked against its SHA-256 (%d ms)%n", ms(t2));
        long t3 = System.nanoTime();
        backups.restore(m.id(), restore);
        out.printf(Locale.ROOT, "5. restore      into the new database shop_restored (%d ms)%n", ms(t3));
      }
      DatabaseFingerprint before = DatabaseFingerprint.of(pg, "shop", pgDump.get());
      DatabaseFingerprint after = DatabaseFingerprint.of(pg, "shop_restored", pgDump.get());
      List<String> diffs = new ArrayList<>();
      if (!before.schema().equals(after.schema())) {
        diffs.add("schema");
      }
      before.tables().forEach((t, v) -> {
        if (!v.equals(after.tables().get(t))) {
          diffs.add("table " + t);
        }
      });
      if (!before.equals(after) && diffs.isEmpty()) {
        diffs.add("sequences or large objects");
      }
      out.printf(Locale.ROOT, "6. compare      schema (pg_dump --schema-only) %s; %d tables by row count and md5: %s%n",
          before.schema().equals(after.schema()) ? "identical" : "DIFFERENT", before.tables().size(),
          diffs.isEmpty() ? "all identical" : "DIFFERENT: " + diffs);
      out.println(diffs.isEmpty() ? "RESULT: the backup restored to an identical database." : "RESULT: FAILED " + diffs);
      return diffs.isEmpty() ? 0 : 4;
    } finally {
      deleteTree(work);
    }
  }

  static Optional<Path> findPgDump() {
    List<Path> candidates = new ArrayList<>();
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty()) {
        candidates.add(Path.of(dir, "pg_dump"));
      }
    }
    Path lib = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(lib)) {
      try (var s = Files.list(lib)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(v -> candidates.add(v.resolve("bin/pg_dump")));
      } catch (IOException e) {
        // no versioned installations to consider
      }
    }
    return candidates.stream().filter(Files::isExecutable).findFirst();
  }

  static String version(Path pgDump) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(pgDump.toString(), "--version").redirectErrorStream(true).start();
    String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    p.waitFor();
    return v;
  }

  static long ms(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }

  static String human(long bytes) {
    return bytes < 1 << 20 ? String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0)
        : String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var s = Files.walk(root)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
