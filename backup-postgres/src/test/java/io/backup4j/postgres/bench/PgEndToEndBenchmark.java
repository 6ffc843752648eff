package io.backup4j.postgres.bench;

import io.backup4j.api.Manifest;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.core.Providers;
import io.backup4j.core.RestoreJob;
import io.backup4j.testkit.postgres.EmbeddedPostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * End-to-end comparison (not a test): backup4j's pg_dump engine against the usual runbook pipelines on the same
 * database. Run with {@code benchmarks/pg-e2e.sh [rows] [serverMajor]}; prints a table and the figures as Markdown.
 *
 * <p>Measured: backup4j backup (custom format, pg_dump compression off, the zstd and aes-gcm transforms when those
 * providers are on the class path) to a local repository; {@code pg_dump | gzip | openssl enc -aes-256-cbc -pbkdf2}
 * to a file; {@code pg_dump -Fc} to a file; {@code pg_dump -Fc -Z0 | zstd -1 -T2} as the speed reference; backup4j
 * restore against {@code pg_restore -j1} of the {@code -Fc} file. Data: rows of a device/time/reading/md5-hex table,
 * about 2x compressible (md5 hex text, not pgbench's blank padding).
 */
public final class PgEndToEndBenchmark {
  private PgEndToEndBenchmark() {}

  public static void main(String[] args) throws Exception {
    long rows = args.length > 0 ? Long.parseLong(args[0]) : 1_500_000;
    int major = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    Path work = Files.createTempDirectory("b4j-pgbench-");
    Path pgBin = Stream.of("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")
        .map(Path::of).filter(p -> Files.isExecutable(p.resolve("pg_dump"))).findFirst()
        .orElseThrow(() -> new IllegalStateException("no pg_dump under /usr/lib/postgresql/*/bin"));
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.builder().majorVersion(major)
        .serverConfig("shared_buffers", "256MB").start()) {
      pg.createDatabase("bench");
      long t0 = System.nanoTime();
      pg.execute("bench", "CREATE TABLE readings (id bigint PRIMARY KEY, device text NOT NULL,"
          + " taken timestamptz NOT NULL, reading double precision, note text, payload text)");
      pg.execute("bench", "INSERT INTO readings SELECT i, 'device-' || (i % 5000),"
          + " timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second' + random() * interval '1 second',"
          + " random() * 1000,"
          + " CASE i % 4 WHEN 0 THEN 'ok' WHEN 1 THEN 'late' WHEN 2 THEN NULL ELSE 'recalibrated' END,"
          // random hex (4 bits of entropy per character) makes the dump about 2x compressible, like real tables;
          // an earlier version repeated md5((i / 10)) across rows and compressed 3.5x, flattering the compressors
          + " md5(random()::text) || md5(random()::text) || ' ' || md5(random()::text)"
          + " FROM generate_series(1, " + rows + ") AS i");
      pg.execute("bench", "VACUUM ANALYZE readings");
      String size = pg.queryValue("bench", "SELECT pg_size_pretty(pg_database_size('bench'))");
      System.out.printf("database: %d rows, %s, PostgreSQL %s, generated in %.1f s%n", rows, size,
          pg.serverVersion(), (System.nanoTime() - t0) / 1e9);

      Path passfile = work.resolve("pgpass");
      Files.createFile(passfile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(passfile, "*:*:*:*:" + pg.password().replace("\\", "\\\\").replace(":", "\\:") + "\n");
      Map<String, String> env = Map.of("PGHOST", pg.host(), "PGPORT", Integer.toString(pg.port()),
          "PGUSER", EmbeddedPostgresServer.USER, "PGPASSFILE", passfile.toString(), "PGDATABASE", "bench");
      Path opensslPass = work.resolve("openssl.pass");
      Files.writeString(opensslPass, "benchmark-passphrase\n");

      Map<String, double[]> results = new LinkedHashMap<>(); // name -> {seconds, bytes}
      Providers providers = Providers.load();
      List<String> transforms = new ArrayList<>();
      Path keyFile = work.resolve("aes.key");
      if (providers.transformNames().contains("zstd")) {
        transforms.add("zstd");
      }
      if (providers.transformNames().contains("aes-gcm")) {
        transforms.add("aes-gcm");
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        Files.write(keyFile, key);
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
      }
      String b4jName = "backup4j backup (" + (transforms.isEmpty() ? "no transforms" : String.join(" + ", transforms))
          + ")";

      // warm the cache once so every contender reads from memory
      run(List.of(List.of(pgBin.resolve("pg_dump").toString(), "-Fc", "-Z0")), env, null);

      Path repo = work.resolve("repo");
      Manifest manifest;
      long s = System.nanoTime();
      try (Backups b = Backups.builder().repository(repo.toUri().toString()).build()) {
        BackupJob.Builder job = BackupJob.builder().source(pg.uri("bench"))
            .sourceOption("binDir", pgBin.toString());
        for (String t : transforms) {
          job.transform(t, t.equals("zstd") ? Map.of("level", "1", "workers", "2") : Map.of("keyFile", keyFile.toString()));
        }
        manifest = b.backup(job.build());
      }
      results.put(b4jName, new double[] {(System.nanoTime() - s) / 1e9, manifest.storedSize()});

      Path runbook = work.resolve("runbook.sql.gz.enc");
      s = System.nanoTime();
      run(List.of(List.of(pgBin.resolve("pg_dump").toString()), List.of("gzip"),
          List.of("openssl", "enc", "-aes-256-cbc", "-pbkdf2", "-pass", "file:" + opensslPass)), env, runbook);
      results.put("pg_dump | gzip | openssl enc -aes-256-cbc -pbkdf2", new double[] {(System.nanoTime() - s) / 1e9,
          Files.size(runbook)});

      Path fc = work.resolve("dump.fc");
      s = System.nanoTime();
      run(List.of(List.of(pgBin.resolve("pg_dump").toString(), "-Fc", "-f", fc.toString())), env, null);
      results.put("pg_dump -Fc", new double[] {(System.nanoTime() - s) / 1e9, Files.size(fc)});

      Path zst = work.resolve("dump.zst");
      s = System.nanoTime();
      run(List.of(List.of(pgBin.resolve("pg_dump").toString(), "-Fc", "-Z0"), List.of("zstd", "-1", "-T2", "-q", "-c")),
          env, zst);
      results.put("pg_dump -Fc -Z0 | zstd -1 -T2 (reference)", new double[] {(System.nanoTime() - s) / 1e9,
          Files.size(zst)});
      Files.delete(zst);
      Files.delete(runbook);

      s = System.nanoTime();
      try (Backups b = Backups.builder().repository(repo.toUri().toString()).build()) {
        RestoreJob.Builder job = RestoreJob.builder(pg.uri("restored_b4j")).option("create", "true")
            .option("binDir", pgBin.toString());
        if (transforms.contains("aes-gcm")) {
          job.transformOption("aes-gcm", "keyFile", keyFile.toString());
        }
        b.restore(manifest.id(), job.build());
      }
      results.put("backup4j restore", new double[] {(System.nanoTime() - s) / 1e9, -1});

      // diagnostics: where restore time goes
      s = System.nanoTime();
      try (Backups b = Backups.builder().repository(repo.toUri().toString()).build();
          var in = b.openPart(manifest.id(), "dump.pgc", transforms.contains("aes-gcm")
              ? Map.of("aes-gcm", Map.of("keyFile", keyFile.toString())) : Map.of())) {
        in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      results.put("  diagnostic: engine read + verify of dump.pgc alone", new double[] {(System.nanoTime() - s) / 1e9,
          -1});
      Path raw = work.resolve("dump.z0");
      run(List.of(List.of(pgBin.resolve("pg_dump").toString(), "-Fc", "-Z0", "-f", raw.toString())), env, null);
      pg.createDatabase("restored_st");
      Map<String, String> stEnv = new LinkedHashMap<>(env);
      stEnv.put("PGDATABASE", "restored_st");
      s = System.nanoTime();
      run(List.of(List.of("cat", raw.toString()), List.of(pgBin.resolve("pg_restore").toString(),
          "--single-transaction", "--exit-on-error", "-d", "restored_st")), stEnv, null);
      results.put("  diagnostic: cat dump(-Z0) | pg_restore --single-transaction", new double[] {
          (System.nanoTime() - s) / 1e9, -1});
      pg.createDatabase("restored_nost");
      stEnv.put("PGDATABASE", "restored_nost");
      s = System.nanoTime();
      run(List.of(List.of("cat", raw.toString()), List.of(pgBin.resolve("pg_restore").toString(),
          "--exit-on-error", "-d", "restored_nost")), stEnv, null);
      results.put("  diagnostic: cat dump(-Z0) | pg_restore", new double[] {(System.nanoTime() - s) / 1e9, -1});
      Files.delete(raw);

      pg.createDatabase("restored_pgr");
      s = System.nanoTime();
      Map<String, String> renv = new LinkedHashMap<>(env);
      renv.put("PGDATABASE", "restored_pgr");
      run(List.of(List.of(pgBin.resolve("pg_restore").toString(), "-j1", "-d", "restored_pgr", fc.toString())),
          renv, null);
      results.put("pg_restore -j1 (from -Fc)", new double[] {(System.nanoTime() - s) / 1e9, -1});

      String check = pg.queryValue("restored_b4j", "SELECT count(*) || ':' || md5(string_agg(md5(r::text), ''"
          + " ORDER BY id)) FROM readings r");
      String expected = pg.queryValue("bench", "SELECT count(*) || ':' || md5(string_agg(md5(r::text), ''"
          + " ORDER BY id)) FROM readings r");
      if (!check.equals(expected)) {
        throw new IllegalStateException("restored data differs from the source: " + check + " vs " + expected);
      }

      double runbookTime = results.get("pg_dump | gzip | openssl enc -aes-256-cbc -pbkdf2")[0];
      double referenceTime = results.get("pg_dump -Fc -Z0 | zstd -1 -T2 (reference)")[0];
      double pgRestoreTime = results.get("pg_restore -j1 (from -Fc)")[0];
      System.out.println();
      System.out.println("| operation | seconds | output MB | speed-up vs runbook pipeline | time vs zstd reference |");
      System.out.println("|---|---:|---:|---:|---:|");
      for (Map.Entry<String, double[]> e : results.entrySet()) {
        double[] v = e.getValue();
        boolean restore = e.getKey().contains("restore") || e.getKey().contains("diagnostic");
        System.out.printf("| %s | %.1f | %s | %s | %s |%n", e.getKey().replace("|", "\\|"), v[0],
            v[1] < 0 ? "" : String.format("%.0f", v[1] / 1e6),
            restore ? String.format("%.2fx of pg_restore -j1", v[0] / pgRestoreTime)
                : String.format("%.2fx", runbookTime / v[0]),
            restore ? "" : String.format("%.2fx", v[0] / referenceTime));
      }
      System.out.println();
      System.out.println("restored data verified: " + check.substring(0, check.indexOf(':')) + " rows, digest equal");
    } finally {
      try (Stream<Path> w = Files.walk(work)) {
        w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Runs a pipeline of commands (no shell), stdout of the last into {@code out} (or discarded). */
  private static void run(List<List<String>> commands, Map<String, String> env, Path out)
      throws IOException, InterruptedException {
    List<ProcessBuilder> pbs = new ArrayList<>();
    for (List<String> c : commands) {
      ProcessBuilder pb = new ProcessBuilder(c);
      pb.environment().putAll(env);
      pb.redirectError(ProcessBuilder.Redirect.INHERIT);
      pbs.add(pb);
    }
    pbs.get(0).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pbs.get(pbs.size() - 1).redirectOutput(out == null ? ProcessBuilder.Redirect.DISCARD
        : ProcessBuilder.Redirect.to(out.toFile()));
    List<Process> ps = ProcessBuilder.startPipeline(pbs);
    for (Process p : ps) {
      if (p.waitFor() != 0) {
        throw new IOException(p.info().command().orElse("?") + " exited with " + p.exitValue());
      }
    }
  }
}
