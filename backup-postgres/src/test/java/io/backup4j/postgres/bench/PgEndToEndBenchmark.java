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
    int roundCount = args.length > 2 ? Integer.parseInt(args[2]) : 3;
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

      // The contenders close to each other (backup4j's backup and the zstd reference, backup4j's restore and
      // pg_restore -j1) run in every round, in alternating order, each restore into a new database after a
      // CHECKPOINT, so neither side inherits the other's dirty buffers or a checkpoint; the table reports the
      // median round. The first backup4j backup and restore of the JVM (class loading, JIT) are reported apart:
      // a CLI run pays them, an embedding application pays them once.
      Path repo = work.resolve("repo");
      Path fc = work.resolve("dump.fc");
      run(List.of(List.of(pgBin.resolve("pg_dump").toString(), "-Fc", "-f", fc.toString())), env, null);
      Map<String, List<Double>> rounds = new LinkedHashMap<>();
      String cliJar = System.getProperty("backup4j.bench.cliJar");
      if (cliJar != null && !Files.isRegularFile(Path.of(cliJar))) {
        throw new IllegalStateException("backup4j.bench.cliJar: no file " + cliJar);
      }
      String cliRepo = "file:" + work.resolve("cli-repo");
      String serverUri = "postgres://" + EmbeddedPostgresServer.USER + "@" + pg.host() + ":" + pg.port() + "/";
      Manifest manifest = null;
      double storedMb = 0;
      double zstdMb = 0;
      String b4jRestoreName = "backup4j restore";
      List<Phases> backupPhases = new ArrayList<>();
      List<Phases> restorePhases = new ArrayList<>();
      int restored = 0;
      if (cliJar != null && LAUNCHER != null) {
        // bin/backup4j writes a class-data-sharing archive per command when its first run exits: those runs are not
        // timed
        cli(cliJar, pg, work, cliBackupArgs(serverUri, cliRepo, pgBin, keyFile));
        cli(cliJar, pg, work, cliRestoreArgs(serverUri + "cds_training", cliRepo, pgBin, keyFile));
        pg.execute("bench", "DROP DATABASE cds_training");
      }
      for (int round = 0; round < roundCount; round++) {
        boolean b4jFirst = round % 2 == 0;
        for (int turn = 0; turn < 2; turn++) {
          if ((turn == 0) == b4jFirst) {
            Phases phases = new Phases();
            long s = System.nanoTime();
            try (Backups b = Backups.builder().repository(repo.toUri().toString()).listener(phases).build()) {
              BackupJob.Builder job = BackupJob.builder().source(pg.uri("bench"))
                  .sourceOption("binDir", pgBin.toString());
              for (String t : transforms) {
                job.transform(t, t.equals("zstd") ? Map.of("level", "1") : Map.of("keyFile", keyFile.toString()));
              }
              manifest = b.backup(job.build());
            }
            rounds.computeIfAbsent(b4jName, k -> new ArrayList<>()).add((System.nanoTime() - s) / 1e9);
            storedMb = manifest.storedSize() / 1e6;
            backupPhases.add(phases);
          } else {
            Path zst = work.resolve("dump.zst");
            long s = System.nanoTime();
            run(List.of(List.of(pgBin.resolve("pg_dump").toString(), "-Fc", "-Z0"),
                List.of("zstd", "-1", "-T2", "-q", "-c")), env, zst);
            rounds.computeIfAbsent(REFERENCE, k -> new ArrayList<>()).add((System.nanoTime() - s) / 1e9);
            zstdMb = Files.size(zst) / 1e6;
            Files.delete(zst);
          }
        }
        if (cliJar != null) {
          // what `backup4j backup` from cron costs: a fresh JVM per run; the password only in the environment
          long s = System.nanoTime();
          cli(cliJar, pg, work, cliBackupArgs(serverUri, cliRepo, pgBin, keyFile));
          rounds.computeIfAbsent(CLI_BACKUP, k -> new ArrayList<>()).add((System.nanoTime() - s) / 1e9);
        }
        for (int turn = 0; turn < 2; turn++) {
          String db = "restored_" + (++restored);
          pg.execute("bench", "CHECKPOINT");
          if ((turn == 0) == b4jFirst) {
            Phases phases = new Phases();
            long s = System.nanoTime();
            try (Backups b = Backups.builder().repository(repo.toUri().toString()).listener(phases).build()) {
              RestoreJob.Builder job = RestoreJob.builder(pg.uri(db)).option("create", "true")
                  .option("binDir", pgBin.toString());
              if (transforms.contains("aes-gcm")) {
                job.transformOption("aes-gcm", "keyFile", keyFile.toString());
              }
              b.restore(manifest.id(), job.build());
            }
            rounds.computeIfAbsent(b4jRestoreName, k -> new ArrayList<>()).add((System.nanoTime() - s) / 1e9);
            restorePhases.add(phases);
            verifyRestored(pg, db);
            pg.execute("bench", "DROP DATABASE " + db);
            // jobs=2: pre-data, the data over two connections (rows of one table split between them), post-data
            db = "restored_" + (++restored);
            pg.execute("bench", "CHECKPOINT");
            s = System.nanoTime();
            try (Backups b = Backups.builder().repository(repo.toUri().toString()).build()) {
              RestoreJob.Builder job = RestoreJob.builder(pg.uri(db)).option("create", "true").option("jobs", "2")
                  .option("binDir", pgBin.toString());
              if (transforms.contains("aes-gcm")) {
                job.transformOption("aes-gcm", "keyFile", keyFile.toString());
              }
              b.restore(manifest.id(), job.build());
            }
            rounds.computeIfAbsent(B4J_RESTORE_JOBS, k -> new ArrayList<>()).add((System.nanoTime() - s) / 1e9);
            verifyRestored(pg, db);
          } else {
            Map<String, String> renv = new LinkedHashMap<>(env);
            renv.put("PGDATABASE", db);
            // backup4j's restore (create=true) includes creating the database; the runbook's createdb is timed apart
            long c = System.nanoTime();
            run(List.of(List.of(pgBin.resolve("createdb").toString(), db)), renv, null);
            long s = System.nanoTime();
            run(List.of(List.of(pgBin.resolve("pg_restore").toString(), "-j1", "-d", db, fc.toString())),
                renv, null);
            rounds.computeIfAbsent(PG_RESTORE, k -> new ArrayList<>()).add((System.nanoTime() - s) / 1e9);
            rounds.computeIfAbsent(CREATEDB_PG_RESTORE, k -> new ArrayList<>()).add((System.nanoTime() - c) / 1e9);
          }
          pg.execute("bench", "DROP DATABASE " + db);
        }
        if (cliJar != null) {
          String db = "restored_" + (++restored);
          pg.execute("bench", "CHECKPOINT");
          long s = System.nanoTime();
          cli(cliJar, pg, work, cliRestoreArgs(serverUri + db, cliRepo, pgBin, keyFile));
          rounds.computeIfAbsent(CLI_RESTORE, k -> new ArrayList<>()).add((System.nanoTime() - s) / 1e9);
          verifyRestored(pg, db);
          pg.execute("bench", "DROP DATABASE " + db);
          // --jobs 2: pre-data, then the data over two connections (rows of one table split between them), post-data
          db = "restored_" + (++restored);
          pg.execute("bench", "CHECKPOINT");
          s = System.nanoTime();
          cli(cliJar, pg, work, withJobs(cliRestoreArgs(serverUri + db, cliRepo, pgBin, keyFile), 2));
          rounds.computeIfAbsent(CLI_RESTORE_JOBS, k -> new ArrayList<>()).add((System.nanoTime() - s) / 1e9);
          verifyRestored(pg, db);
          pg.execute("bench", "DROP DATABASE " + db);
        }
      }

      Map<String, double[]> results = new LinkedHashMap<>(); // name -> {seconds, MB}
      results.put(b4jName, new double[] {median(rounds.get(b4jName)), storedMb});
      if (cliJar != null) {
        results.put(CLI_BACKUP, new double[] {median(rounds.get(CLI_BACKUP)), storedMb});
      }
      results.put(REFERENCE, new double[] {median(rounds.get(REFERENCE)), zstdMb});

      Path runbook = work.resolve("runbook.sql.gz.enc");
      long s = System.nanoTime();
      run(List.of(List.of(pgBin.resolve("pg_dump").toString()), List.of("gzip"),
          List.of("openssl", "enc", "-aes-256-cbc", "-pbkdf2", "-pass", "file:" + opensslPass)), env, runbook);
      results.put(RUNBOOK, new double[] {(System.nanoTime() - s) / 1e9, Files.size(runbook) / 1e6});
      Files.delete(runbook);
      Path fc2 = work.resolve("dump2.fc");
      s = System.nanoTime();
      run(List.of(List.of(pgBin.resolve("pg_dump").toString(), "-Fc", "-f", fc2.toString())), env, null);
      results.put("pg_dump -Fc", new double[] {(System.nanoTime() - s) / 1e9, Files.size(fc2) / 1e6});
      Files.delete(fc2);
      results.put(b4jRestoreName, new double[] {median(rounds.get(b4jRestoreName)), -1});
      results.put(B4J_RESTORE_JOBS, new double[] {median(rounds.get(B4J_RESTORE_JOBS)), -1});
      if (cliJar != null) {
        results.put(CLI_RESTORE, new double[] {median(rounds.get(CLI_RESTORE)), -1});
        results.put(CLI_RESTORE_JOBS, new double[] {median(rounds.get(CLI_RESTORE_JOBS)), -1});
      }
      results.put(PG_RESTORE, new double[] {median(rounds.get(PG_RESTORE)), -1});
      results.put(CREATEDB_PG_RESTORE, new double[] {median(rounds.get(CREATEDB_PG_RESTORE)), -1});

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
      pg.createDatabase("restored_cat");
      Map<String, String> stEnv = new LinkedHashMap<>(env);
      stEnv.put("PGDATABASE", "restored_cat");
      pg.execute("bench", "CHECKPOINT");
      s = System.nanoTime();
      run(List.of(List.of("cat", raw.toString()), List.of(pgBin.resolve("pg_restore").toString(),
          "--exit-on-error", "-d", "restored_cat")), stEnv, null);
      results.put("  diagnostic: cat dump(-Z0) | pg_restore", new double[] {(System.nanoTime() - s) / 1e9, -1});
      Files.delete(raw);

      double runbookTime = results.get(RUNBOOK)[0];
      double referenceTime = results.get(REFERENCE)[0];
      double pgRestoreTime = results.get(PG_RESTORE)[0];
      System.out.println();
      System.out.println("every round (seconds; backup4j's first backup and restore are the JVM's first):");
      for (Map.Entry<String, List<Double>> e : rounds.entrySet()) {
        System.out.printf("  %-60s %s%n", e.getKey(), e.getValue().stream().map(v -> String.format("%.2f", v)).toList());
      }
      // The machine's speed drifts between minutes (the same single-threaded zstd run took 2.8 s and 4.7 s within
      // half an hour here), so the ratio of two medians mixes rounds taken at different speeds; each round's own
      // ratio (the contenders ran back to back) cancels most of that drift. Both are printed.
      System.out.println("each round's own ratio (median, then min-max over the rounds):");
      pairedRatio(rounds, b4jName, REFERENCE);
      pairedRatio(rounds, CLI_BACKUP, REFERENCE);
      pairedRatio(rounds, b4jRestoreName, PG_RESTORE);
      pairedRatio(rounds, CLI_RESTORE, PG_RESTORE);
      pairedRatio(rounds, b4jRestoreName, CREATEDB_PG_RESTORE);
      pairedRatio(rounds, CLI_RESTORE, CREATEDB_PG_RESTORE);
      pairedRatio(rounds, B4J_RESTORE_JOBS, PG_RESTORE);
      pairedRatio(rounds, B4J_RESTORE_JOBS, CREATEDB_PG_RESTORE);
      pairedRatio(rounds, CLI_RESTORE_JOBS, PG_RESTORE);
      pairedRatio(rounds, CLI_RESTORE_JOBS, CREATEDB_PG_RESTORE);
      System.out.println("backup4j backups, phases (seconds from the start) of each round:");
      backupPhases.forEach(ph -> System.out.println("  " + ph));
      System.out.println("backup4j restores, phases of each round (after the part's last byte, pg_restore still"
          + " builds the indexes):");
      restorePhases.forEach(ph -> System.out.println("  " + ph));
      System.out.println();
      System.out.println("| operation | seconds (median of " + roundCount + " rounds where repeated) | output MB"
          + " | speed-up vs runbook pipeline | time vs zstd reference |");
      System.out.println("|---|---:|---:|---:|---:|");
      for (Map.Entry<String, double[]> e : results.entrySet()) {
        double[] v = e.getValue();
        boolean restore = e.getKey().contains("restore") || e.getKey().contains("diagnostic");
        System.out.printf("| %s | %.2f | %s | %s | %s |%n", e.getKey().replace("|", "\\|"), v[0],
            v[1] < 0 ? "" : String.format("%.0f", v[1]),
            restore ? String.format("%.2fx of pg_restore -j1", v[0] / pgRestoreTime)
                : String.format("%.2fx", runbookTime / v[0]),
            restore ? "" : String.format("%.2fx", v[0] / referenceTime));
      }
      System.out.println();
      System.out.println("every backup4j restore verified against the source: row count and digest equal");
    } finally {
      try (Stream<Path> w = Files.walk(work)) {
        w.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static final String REFERENCE = "pg_dump -Fc -Z0 | zstd -1 -T2 (reference)";
  private static final String RUNBOOK = "pg_dump | gzip | openssl enc -aes-256-cbc -pbkdf2";
  private static final String PG_RESTORE = "pg_restore -j1 (from -Fc)";
  private static final String CREATEDB_PG_RESTORE = "createdb && pg_restore -j1 (from -Fc)";

  /** bin/backup4j, when the CLI is to be timed through the launcher (with its class-data-sharing archive). */
  private static final String LAUNCHER = System.getProperty("backup4j.bench.cliLauncher");
  private static final String CLI_BACKUP = LAUNCHER == null
      ? "backup4j CLI backup (a fresh JVM, java -jar backup4j.jar)"
      : "backup4j CLI backup (a fresh JVM, bin/backup4j with its CDS archive)";
  private static final String CLI_RESTORE = LAUNCHER == null ? "backup4j CLI restore (a fresh JVM)"
      : "backup4j CLI restore (a fresh JVM, bin/backup4j)";

  private static String[] cliBackupArgs(String serverUri, String cliRepo, Path pgBin, Path keyFile) {
    return new String[] {"backup", "--source", serverUri + "bench", "--repo", cliRepo, "--set", "bench",
        "--source-option", "binDir=" + pgBin, "--transform", "zstd:level=1",
        "--transform", "aes-gcm:keyFile=" + keyFile, "--secret-env", "postgres.password=BENCH_PG_PASSWORD",
        "--no-progress"};
  }

  private static final String CLI_RESTORE_JOBS = CLI_RESTORE + " --jobs 2";
  private static final String B4J_RESTORE_JOBS = "backup4j restore, jobs=2";

  private static String[] withJobs(String[] args, int jobs) {
    String[] out = java.util.Arrays.copyOf(args, args.length + 2);
    out[args.length] = "--jobs";
    out[args.length + 1] = Integer.toString(jobs);
    return out;
  }

  private static String[] cliRestoreArgs(String targetUri, String cliRepo, Path pgBin, Path keyFile) {
    return new String[] {"restore", "--repo", cliRepo, "latest", "--set", "bench", "--target", targetUri, "--create",
        "-o", "binDir=" + pgBin, "--transform-option", "aes-gcm:keyFile=" + keyFile,
        "--secret-env", "postgres.password=BENCH_PG_PASSWORD", "--no-progress"};
  }

  /** Runs the packaged CLI in a child JVM; the server's password reaches it only through its environment. */
  private static void cli(String jar, EmbeddedPostgresServer pg, Path work, String... args)
      throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String opts = System.getProperty("backup4j.bench.cliJavaOpts", "");
    List<String> cmd = new ArrayList<>();
    if (LAUNCHER != null) {
      cmd.add(LAUNCHER);
    } else {
      cmd.addAll(List.of(java, "-jar", jar));
      if (!opts.isBlank()) {
        cmd.addAll(1, List.of(opts.trim().split("\\s+"))); // e.g. a JFR recording of the CLI runs
      }
    }
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(work.resolve("cli.log").toFile());
    if (LAUNCHER != null) {
      pb.environment().put("JAVA", java);
      pb.environment().put("BACKUP4J_CACHE_DIR", work.resolve("cds").toString());
      pb.environment().put("BACKUP4J_JAVA_OPTS", opts);
    }
    pb.environment().put("BENCH_PG_PASSWORD", pg.password());
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p = pb.start();
    if (p.waitFor() != 0) {
      throw new IOException("backup4j " + args[0] + " exited with " + p.exitValue() + ":\n"
          + Files.readString(work.resolve("cli.log")));
    }
  }

  /** Prints the median and range of {@code name}'s time over {@code reference}'s, round by round. */
  private static void pairedRatio(Map<String, List<Double>> rounds, String name, String reference) {
    List<Double> a = rounds.get(name);
    List<Double> b = rounds.get(reference);
    if (a == null || b == null || a.size() != b.size()) {
      return; // a contender that did not run (no CLI jar)
    }
    List<Double> r = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      r.add(a.get(i) / b.get(i));
    }
    System.out.printf("  %-50s / %-40s %.2fx (%.2f-%.2f)%n", name, reference, median(r),
        r.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
        r.stream().mapToDouble(Double::doubleValue).max().orElseThrow());
  }

  private static double median(List<Double> v) {
    List<Double> sorted = v.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static void verifyRestored(EmbeddedPostgresServer pg, String db) throws Exception {
    String digest = "SELECT count(*) || ':' || md5(string_agg(md5(r::text), '' ORDER BY id)) FROM readings r";
    String check = pg.queryValue(db, digest);
    String expected = pg.queryValue("bench", digest);
    if (!check.equals(expected)) {
      throw new IllegalStateException("restored data in " + db + " differs from the source: " + check + " vs "
          + expected);
    }
  }

  /** Wall-clock offsets of the engine's events within one backup or restore. */
  private static final class Phases implements io.backup4j.api.BackupListener {
    private final long t0 = System.nanoTime();
    private final Map<String, Double> marks = new LinkedHashMap<>();

    @Override
    public synchronized void onEvent(io.backup4j.api.BackupEvent event) {
      String name = null;
      if (event instanceof io.backup4j.api.BackupEvent.Started) {
        name = "started";
      } else if (event instanceof io.backup4j.api.BackupEvent.PartStarted) {
        name = "part opened";
      } else if (event instanceof io.backup4j.api.BackupEvent.PartProgress) {
        name = "first bytes";
      } else if (event instanceof io.backup4j.api.BackupEvent.SourceProgress e) {
        name = "first " + e.unit();
      } else if (event instanceof io.backup4j.api.BackupEvent.PartFinished) {
        name = "part committed";
      } else if (event instanceof io.backup4j.api.BackupEvent.Finished) {
        name = "finished";
      }
      if (name != null) {
        marks.putIfAbsent(name, (System.nanoTime() - t0) / 1e9);
      }
    }

    @Override
    public synchronized String toString() {
      StringBuilder b = new StringBuilder();
      marks.forEach((k, v) -> b.append(String.format("%s %.2f s; ", k, v)));
      return b.toString();
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
