package io.backup4j.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.BackupException;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.SourceException;
import io.backup4j.api.Transform;
import io.backup4j.api.TransformSpec;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.testkit.postgres.EmbeddedPostgresServer;
import io.backup4j.testkit.postgres.PostgresServer;
import io.backup4j.testkit.postgres.RichSchema;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures while backing up: each must surface as a clear error and leave no committed backup (an empty catalog and
 * no data objects in the repository).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresFaultTest {
  static final String DB = "faults";
  PostgresServer pg;

  @BeforeAll
  void start() throws Exception {
    PgTestSupport.clientMajor();
    pg = PgTestSupport.start(14);
    pg.createDatabase(DB);
    RichSchema.install(pg, DB, 150_000);
  }

  @AfterAll
  void stop() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  private void assertBackupFails(Path repo, BackupJob job, Class<? extends BackupException> type, String... texts)
      throws IOException {
    try (Backups b = PgTestSupport.backups(repo)) {
      var thrown = assertThatThrownBy(() -> b.backup(job)).isInstanceOf(type);
      for (String t : texts) {
        thrown.hasMessageContaining(t);
      }
      thrown.satisfies(e -> assertThat(e.getMessage()).doesNotContain(pg.password()));
    }
    assertThat(PgTestSupport.repositoryHoldsNoBackup(repo)).as("repository holds no backup").isTrue();
  }

  @Test
  void wrongPasswordIsAccessDeniedAndCommitsNothing(@TempDir Path repo) throws IOException {
    String uri = pg.uriWithoutPassword(DB).replace("postgres@", "postgres:not-the-password@");
    assertBackupFails(repo, BackupJob.builder().source(uri).build(), AccessDeniedException.class,
        "password authentication failed");
  }

  @Test
  void unreachableHostIsASourceFailureNamingTheServer(@TempDir Path repo) throws IOException {
    // a port bound but never listening refuses connections, and stays ours: no other process (another test's
    // server) can take it between choosing it and connecting, as it could after closing a ServerSocket
    try (java.net.Socket bound = new java.net.Socket()) {
      bound.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
      int closedPort = bound.getLocalPort();
      String uri = "postgres://postgres:x@127.0.0.1:" + closedPort + "/" + DB;
      assertBackupFails(repo, BackupJob.builder().source(uri).build(), SourceException.class,
          "127.0.0.1:" + closedPort, "reachable");
    }
  }

  @Test
  void missingPgDumpNamesTheDirectoryAndTheFix(@TempDir Path repo, @TempDir Path emptyBin) throws IOException {
    assertBackupFails(repo, BackupJob.builder().source(pg.uri(DB)).sourceOption("binDir", emptyBin.toString())
        .build(), ConfigurationException.class, "pg_dump not found", emptyBin.toString(), "postgresql-client-14");
  }

  @Test
  void misspeltTableFailsTheBackupInsteadOfDumpingNothing(@TempDir Path repo) throws IOException {
    assertBackupFails(repo, BackupJob.builder().source(pg.uri(DB)).sourceOption("tables", "app.evnets").build(),
        SourceException.class, "app.evnets");
  }

  @Test
  void pgDumpKilledMidStreamFailsTheBackup(@TempDir Path repo) throws IOException {
    AtomicBoolean fired = new AtomicBoolean();
    Transform killer = afterBytes(1 << 20, () -> {
      // kill every pg_dump child of this JVM, as the OOM killer or an operator would
      ProcessHandle.current().descendants()
          .filter(p -> p.info().command().map(c -> c.endsWith("pg_dump")).orElse(false))
          .forEach(ProcessHandle::destroyForcibly);
      fired.set(true);
    });
    assertBackupFails(repo, BackupJob.builder().source(pg.uri(DB)).transform(killer).build(),
        SourceException.class, "pg_dump");
    assertThat(fired).isTrue();
  }

  @Test
  void databaseDroppedMidDumpFailsTheBackup(@TempDir Path repo) throws Exception {
    String victim = PgTestSupport.uniqueDb("victim");
    pg.createDatabase(victim);
    RichSchema.install(pg, victim, 150_000);
    AtomicBoolean fired = new AtomicBoolean();
    Transform dropper = afterBytes(1 << 20, () -> {
      try {
        pg.dropDatabase(victim); // WITH (FORCE): terminates pg_dump's session
        fired.set(true);
      } catch (java.sql.SQLException e) {
        throw new IllegalStateException(e);
      }
    });
    assertBackupFails(repo, BackupJob.builder().source(pg.uri(victim)).transform(dropper).build(),
        SourceException.class, "pg_dump");
    assertThat(fired).isTrue();
  }

  @Test
  void cancellationMidDumpStopsPgDumpAndCommitsNothing(@TempDir Path repo) throws IOException {
    io.backup4j.api.Cancellation cancel = new io.backup4j.api.Cancellation();
    Transform canceller = afterBytes(1 << 20, cancel::cancel);
    assertBackupFails(repo, BackupJob.builder().source(pg.uri(DB)).transform(canceller).cancellation(cancel).build(),
        io.backup4j.api.CancelledException.class);
    assertThat(ProcessHandle.current().descendants()
        .filter(p -> p.info().command().map(c -> c.endsWith("pg_dump")).orElse(false))
        .filter(ProcessHandle::isAlive).count()).isZero();
  }

  @Test
  void dataSourceBuilderBacksUpThroughThePgjdbcDataSource(@TempDir Path repo) throws Exception {
    org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
    ds.setServerNames(new String[] {pg.host()});
    ds.setPortNumbers(new int[] {pg.port()});
    ds.setDatabaseName(DB);
    ds.setUser(EmbeddedPostgresServer.USER);
    ds.setPassword(pg.password());
    PostgresSource source = PostgresSource.builder().dataSource(ds).build();
    assertThat(source.identity()).isEqualTo("postgres://postgres@127.0.0.1:" + pg.port() + "/" + DB);
    try (Backups b = PgTestSupport.backups(repo)) {
      var m = b.backup(BackupJob.builder().source(source).build());
      assertThat(m.sourceKind()).isEqualTo("postgres");
      String db = PgTestSupport.uniqueDb("from_ds");
      b.restore(m.id(), io.backup4j.core.RestoreJob.builder(pg.uri(db)).option("create", "true")
          .option("tables", "app.events").build());
      assertThat(pg.queryValue(db, "SELECT count(*) FROM app.events")).isEqualTo("300");
    }
  }

  /** The pg_dump children of this JVM that are running now. */
  private static List<ProcessHandle> runningPgDumps() {
    return ProcessHandle.current().descendants()
        .filter(p -> p.info().command().map(c -> c.endsWith("pg_dump")).orElse(false))
        .filter(ProcessHandle::isAlive).toList();
  }

  private static long deadlineIn(int seconds) {
    return System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(seconds);
  }

  /** Polls {@code condition} every 5 ms until it holds or the deadline passed; whether it held. */
  private static boolean waitUntil(java.util.function.BooleanSupplier condition, long deadline)
      throws InterruptedException {
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() >= deadline) {
        return false;
      }
      Thread.sleep(5);
    }
    return true;
  }

  /** A pgjdbc data source for {@link #DB} whose connections are handed out only once {@code gate} returns. */
  private org.postgresql.ds.PGSimpleDataSource gatedDataSource(java.util.concurrent.Callable<Void> gate) {
    org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource() {
      @Override
      public java.sql.Connection getConnection() throws java.sql.SQLException {
        try {
          gate.call();
        } catch (java.sql.SQLException e) {
          throw e;
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        return super.getConnection();
      }
    };
    ds.setServerNames(new String[] {pg.host()});
    ds.setPortNumbers(new int[] {pg.port()});
    ds.setDatabaseName(DB);
    ds.setUser(EmbeddedPostgresServer.USER);
    ds.setPassword(pg.password());
    return ds;
  }

  @Test
  void pgDumpStartsWhileTheServerIsAskedForItsVersionAndTheBackupRestores(@TempDir Path repo) throws Exception {
    // the version query's connection is given out only once pg_dump runs: a source that connected first would wait
    // here until the deadline and fail the test
    AtomicBoolean pgDumpWasRunning = new AtomicBoolean();
    org.postgresql.ds.PGSimpleDataSource ds = gatedDataSource(() -> {
      pgDumpWasRunning.set(waitUntil(() -> !runningPgDumps().isEmpty(), deadlineIn(20)));
      return null;
    });
    try (Backups b = PgTestSupport.backups(repo)) {
      var m = b.backup(BackupJob.builder().source(PostgresSource.builder().dataSource(ds).build()).build());
      assertThat(pgDumpWasRunning).as("pg_dump ran before the connection was made").isTrue();
      // what the connection reads still reaches the manifest
      assertThat(m.sourceMetadata()).containsKeys("postgres.serverVersion", "postgres.databaseSize",
          "postgres.rowEstimates", "postgres.pgDumpVersion");
      String db = PgTestSupport.uniqueDb("speculative");
      b.restore(m.id(), io.backup4j.core.RestoreJob.builder(pg.uri(db)).option("create", "true").build());
      assertThat(io.backup4j.testkit.postgres.DatabaseFingerprint.tableDigests(pg, db, null))
          .isEqualTo(io.backup4j.testkit.postgres.DatabaseFingerprint.tableDigests(pg, DB, null));
    }
  }

  @Test
  void aConnectionThatFailsAfterPgDumpFinishedStillFailsTheBackup(@TempDir Path repo) throws IOException {
    // pg_dump succeeds, the server's version was never read: nothing may be committed
    AtomicBoolean pgDumpWasRunning = new AtomicBoolean();
    org.postgresql.ds.PGSimpleDataSource ds = gatedDataSource(() -> {
      long deadline = deadlineIn(60);
      pgDumpWasRunning.set(waitUntil(() -> !runningPgDumps().isEmpty(), deadline));
      waitUntil(() -> runningPgDumps().isEmpty(), deadline);
      throw new java.sql.SQLException("the connection broke (simulated)", "08006");
    });
    assertBackupFails(repo, BackupJob.builder().source(PostgresSource.builder().dataSource(ds).build()).build(),
        SourceException.class, "the connection broke (simulated)");
    assertThat(pgDumpWasRunning).isTrue();
  }

  /** Server connections with this application_name (the restore's own connections carry the target's). */
  private long connectionsOf(String application) throws Exception {
    try (var c = pg.connect("postgres");
        var ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
      ps.setString(1, application);
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * Waits until the server has {@code expected} connections named {@code application}: up to 20 s for one to open,
   * 5 s for them to close (a connection left open would also close, later, once the driver's cleaner collects it).
   */
  private void awaitConnections(String application, long expected) throws Exception {
    long seconds = expected == 0 ? 5 : 20;
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    while (connectionsOf(application) != expected) {
      assertThat(System.nanoTime()).as("%s connection(s) named %s within %s s", expected, application, seconds)
          .isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  @Test
  void preparedRestoreConnectsBeforeTheBackupIsChosenThenRestoresAndLeavesNoConnection(@TempDir Path repo)
      throws Exception {
    try (Backups b = PgTestSupport.backups(repo)) {
      var m = b.backup(BackupJob.builder().source(pg.uri(DB)).build());
      String db = PgTestSupport.uniqueDb("prepared");
      String app = "b4j_" + db;
      var job = io.backup4j.core.RestoreJob.builder(pg.uri(db) + "?application_name=" + app)
          .option("create", "true").build();
      try (io.backup4j.core.PreparedRestore prepared = b.prepareRestore(job)) {
        // the admin connection is open (authenticated) before any backup was named
        awaitConnections(app, 1);
        assertThat(pg.databaseExists(db)).as("nothing created before the restore runs").isFalse();
        prepared.restore(m.id());
        assertThatThrownBy(() -> prepared.restore(m.id())).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("runs once");
      }
      assertThat(io.backup4j.testkit.postgres.DatabaseFingerprint.tableDigests(pg, db, null))
          .isEqualTo(io.backup4j.testkit.postgres.DatabaseFingerprint.tableDigests(pg, DB, null));
      awaitConnections(app, 0);
    }
  }

  @Test
  void preparedRestoresThatFailOrNeverRunCloseTheirConnectionAndCreateNothing(@TempDir Path repo) throws Exception {
    try (Backups b = PgTestSupport.backups(repo)) {
      var m = b.backup(BackupJob.builder().source(pg.uri(DB)).sourceOption("schemaOnly", "true").build());

      // prepared, then not run (e.g. the backup the caller looked for does not exist)
      String unused = PgTestSupport.uniqueDb("unused");
      String app = "b4j_" + unused;
      var prepared = b.prepareRestore(io.backup4j.core.RestoreJob.builder(pg.uri(unused) + "?application_name="
          + app).option("create", "true").build());
      awaitConnections(app, 1);
      prepared.close();
      awaitConnections(app, 0);
      assertThatThrownBy(() -> prepared.restore(m.id())).isInstanceOf(IllegalStateException.class);
      // the same for the target itself, held on to, so that only its close() can have closed the connection (the
      // driver's cleaner closes an unreachable one too, eventually)
      String held = PgTestSupport.uniqueDb("held");
      String app1 = "b4j_" + held;
      PostgresRestoreTarget target = new PostgresRestoreTarget(pg.uri(held) + "?application_name=" + app1,
          java.util.Map.of("create", "true"), null, null);
      awaitConnections(app1, 1);
      target.close();
      awaitConnections(app1, 0);
      assertThat(target.describe()).contains(held);

      // a backup that is not in the repository: the restore fails and the early connection is closed
      String missing = PgTestSupport.uniqueDb("missing");
      String app2 = "b4j_" + missing;
      try (var p = b.prepareRestore(io.backup4j.core.RestoreJob.builder(pg.uri(missing) + "?application_name="
          + app2).option("create", "true").build())) {
        awaitConnections(app2, 1);
        assertThatThrownBy(() -> p.restore(io.backup4j.api.BackupId.of("20000101T000000Z-00000000")))
            .isInstanceOf(io.backup4j.api.NotFoundException.class);
        awaitConnections(app2, 0);
      }
      assertThat(pg.databaseExists(missing)).isFalse();

      // a wrong password fails the restore as it fails without preparing: access denied, nothing created
      String denied = PgTestSupport.uniqueDb("denied");
      String uri = pg.uriWithoutPassword(denied).replace("postgres@", "postgres:not-the-password@");
      try (var p = b.prepareRestore(io.backup4j.core.RestoreJob.builder(uri).option("create", "true").build())) {
        assertThatThrownBy(() -> p.restore(m.id())).isInstanceOf(AccessDeniedException.class)
            .hasMessageContaining("password")
            .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-password"));
      }
      assertThat(pg.databaseExists(denied)).isFalse();
    }
  }

  @Test
  void compressedEncryptedBackupRestoresWithTheKeyAndAWrongKeyRestoresNothing(@TempDir Path repo, @TempDir Path keys)
      throws Exception {
    Path key = keys.resolve("backup.key");
    Path wrong = keys.resolve("wrong.key");
    for (Path p : List.of(key, wrong)) {
      byte[] k = new byte[32];
      new java.security.SecureRandom().nextBytes(k);
      Files.write(p, k);
      Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }
    try (Backups b = PgTestSupport.backups(repo)) {
      var m = b.backup(BackupJob.builder().source(pg.uri(DB)).transform("zstd", java.util.Map.of("level", "1"))
          .transform("aes-gcm", java.util.Map.of("keyFile", key.toString())).build());
      assertThat(m.storedSize()).as("zstd compressed the dump").isLessThan(m.rawSize() * 3 / 4);
      // the stored part is ciphertext: no table name in clear
      byte[] stored = Files.readAllBytes(repo.resolve(m.parts().get(0).key()));
      assertThat(new String(stored, java.nio.charset.StandardCharsets.ISO_8859_1)).doesNotContain("measurements");

      String bad = PgTestSupport.uniqueDb("wrong_key");
      assertThatThrownBy(() -> b.restore(m.id(), io.backup4j.core.RestoreJob.builder(pg.uri(bad))
          .option("create", "true").transformOption("aes-gcm", "keyFile", wrong.toString()).build()))
          .isInstanceOf(BackupException.class);
      assertThat(pg.databaseExists(bad)).isFalse();

      String good = PgTestSupport.uniqueDb("right_key");
      b.restore(m.id(), io.backup4j.core.RestoreJob.builder(pg.uri(good)).option("create", "true")
          .transformOption("aes-gcm", "keyFile", key.toString()).build());
      assertThat(io.backup4j.testkit.postgres.DatabaseFingerprint.tableDigests(pg, good, null))
          .isEqualTo(io.backup4j.testkit.postgres.DatabaseFingerprint.tableDigests(pg, DB, null));
    }
  }

  @Test
  void extraArgumentsThatRedirectOutputOrCarryPasswordsAreRefused(@TempDir Path repo) throws IOException {
    for (String bad : List.of("--file=/tmp/x", "-f", "--password", "--dbname=postgres://u:pw@h/db", "--host=evil")) {
      assertBackupFails(repo, BackupJob.builder().source(pg.uri(DB)).sourceOption("pgDumpArgs", bad).build(),
          ConfigurationException.class, "not allowed");
    }
  }

  @Test
  void passwordNeverReachesTheCommandLine(@TempDir Path repo) throws Exception {
    // while pg_dump runs, look at its argv and environment as `ps` would
    AtomicBoolean checked = new AtomicBoolean();
    Transform inspector = afterBytes(1 << 16, () -> {
      ProcessHandle.current().descendants()
          .filter(p -> p.info().command().map(c -> c.endsWith("pg_dump")).orElse(false))
          .forEach(p -> {
            String cmdline = p.info().commandLine().orElse("");
            assertThat(cmdline).contains("--format=custom").doesNotContain(pg.password());
            try {
              String environ = Files.readString(Path.of("/proc/" + p.pid() + "/environ"));
              assertThat(environ).contains("PGPASSFILE=").doesNotContain(pg.password());
            } catch (IOException e) {
              throw new IllegalStateException(e);
            }
            checked.set(true);
          });
    });
    try (Backups b = PgTestSupport.backups(repo)) {
      b.backup(BackupJob.builder().source(pg.uri(DB)).transform(inspector).build());
    }
    assertThat(checked).isTrue();
  }

  @Test
  void cleanRestoreWhoseRenameFailsAfterTheTargetWasDroppedKeepsTheRestoredCopy(@TempDir Path repo) throws Exception {
    String source = PgTestSupport.uniqueDb("swap_src");
    pg.createDatabase(source);
    // restored with the data, this function lets the restore's assert wait until the test holds a session open on
    // the staging database; that session makes ALTER DATABASE ... RENAME fail after the target was dropped
    pg.execute(source, """
        CREATE TABLE public.t (x int);
        INSERT INTO public.t SELECT generate_series(1, 1000);
        CREATE FUNCTION public.wait_for_holder() RETURNS boolean LANGUAGE plpgsql AS $$
        DECLARE deadline timestamptz := clock_timestamp() + interval '120 seconds';
        BEGIN
          WHILE NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
                            AND application_name = 'b4j-test-holder') LOOP
            IF clock_timestamp() > deadline THEN RETURN false; END IF;
            PERFORM pg_sleep(0.01);
            PERFORM pg_stat_clear_snapshot(); -- pg_stat_activity is read once per transaction otherwise
          END LOOP;
          RETURN true;
        END $$;""");
    String target = PgTestSupport.uniqueDb("swap_dst");
    pg.createDatabase(target);
    pg.execute(target, "CREATE TABLE public.old (x int); INSERT INTO public.old VALUES (1)");
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicReference<String> staging = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicReference<Throwable> holderError =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread holder = new Thread(() -> {
      try {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(120);
        while (staging.get() == null && System.nanoTime() < deadline) {
          try (var c = pg.connect("postgres");
              var ps = c.prepareStatement("SELECT datname FROM pg_database WHERE starts_with(datname, ?)")) {
            ps.setString(1, target + "_b4j_");
            try (var rs = ps.executeQuery()) {
              if (rs.next()) {
                staging.set(rs.getString(1));
              }
            }
          }
          if (staging.get() == null) {
            Thread.sleep(20);
          }
        }
        if (staging.get() == null) {
          return;
        }
        try (var c = pg.connect(staging.get()); var st = c.createStatement()) {
          st.execute("SET application_name = 'b4j-test-holder'");
          release.await();
        }
      } catch (Exception e) {
        holderError.set(e);
      }
    }, "staging-holder");
    holder.start();
    try (Backups b = PgTestSupport.backups(repo)) {
      var m = b.backup(BackupJob.builder().source(pg.uri(source)).build());
      Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> b.restore(m.id(),
          io.backup4j.core.RestoreJob.builder(pg.uri(target)).option("clean", "true")
              .option("assert", "SELECT public.wait_for_holder()").build()));
      release.countDown();
      holder.join();
      assertThat(holderError.get()).isNull();
      assertThat(staging.get()).as("the clean restore went through a staging database").isNotNull();
      // the target is gone (dropped by the swap), so the restored copy must still exist and be named
      assertThat(thrown).isInstanceOf(SourceException.class).hasMessageContaining(staging.get())
          .hasMessageContaining("rename it by hand");
      assertThat(pg.databaseExists(target)).isFalse();
      assertThat(pg.queryValue(staging.get(), "SELECT count(*) FROM public.t")).isEqualTo("1000");
    } finally {
      release.countDown();
      holder.join();
      if (staging.get() != null) {
        pg.dropDatabase(staging.get());
      }
    }
  }

  @Test
  void tamperedPartIsNotCommittedByATableSelectiveRestoreIntoAnExistingDatabase(@TempDir Path repo) throws Exception {
    String source = PgTestSupport.uniqueDb("sel_src");
    pg.createDatabase(source);
    // "first" is dumped before "bulk", whose megabytes follow it in the archive: pg_restore --use-list has what it
    // needs (and commits) long before the end of the part, where the engine checks its SHA-256
    pg.execute(source, """
        CREATE TABLE public.first (id int PRIMARY KEY, v text);
        INSERT INTO public.first VALUES (1, 'balance=100000');
        CREATE TABLE public.zz_bulk (id int, v text);
        INSERT INTO public.zz_bulk SELECT i, md5(i::text) || md5((i * 7)::text) FROM generate_series(1, 100000) i;""");
    String target = PgTestSupport.uniqueDb("sel_dst");
    pg.createDatabase(target);
    try (Backups b = PgTestSupport.backups(repo)) {
      var m = b.backup(BackupJob.builder().source(pg.uri(source)).build());
      Path stored = repo.resolve(m.parts().get(0).key());
      byte[] bytes = Files.readAllBytes(stored);
      byte[] marker = "balance=100000".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      int at = indexOf(bytes, marker);
      assertThat(at).as("the row is stored uncompressed in the archive").isPositive();
      assertThat(bytes.length - at).as("most of the archive follows the selected table").isGreaterThan(4 << 20);
      bytes[at + 8] = '9'; // balance=900000
      Files.write(stored, bytes);

      assertThatThrownBy(() -> b.restore(m.id(), io.backup4j.core.RestoreJob.builder(pg.uri(target))
          .option("tables", "public.first").build()))
          .isInstanceOf(io.backup4j.api.IntegrityException.class);
      assertThat(pg.queryValue(target, "SELECT count(*) FROM pg_class WHERE relname = 'first'"))
          .as("nothing of the tampered backup was restored").isEqualTo("0");
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void plainDumpWithCreateIsRefusedSinceItsScriptWouldDropAndFillTheSourceDatabaseInsteadOfTheTarget(
      @TempDir Path repo) throws Exception {
    // pg_dump --clean --create writes "DROP DATABASE <source>; CREATE DATABASE <source>; \connect <source>": psql,
    // connected to the restore target, would follow it and drop the source database (seen: a restore into a new
    // database dropped the source, then failed to recreate it)
    String source = PgTestSupport.uniqueDb("plain_src");
    pg.createDatabase(source);
    pg.execute(source, "CREATE TABLE public.t (x int); INSERT INTO public.t VALUES (1)");
    for (String args : List.of("--create", "--clean,--if-exists,--create")) {
      assertBackupFails(repo, BackupJob.builder().source(pg.uri(source)).sourceOption("format", "plain")
          .sourceOption("pgDumpArgs", args).build(), ConfigurationException.class, "--create", "format=plain");
    }
    assertThat(pg.queryValue(source, "SELECT count(*) FROM public.t")).isEqualTo("1");
  }

  @Test
  void cleanRestoreThatReplacesTheDatabaseKeepsItsPrivileges(@TempDir Path repo) throws Exception {
    String source = PgTestSupport.uniqueDb("acl_src");
    pg.createDatabase(source);
    pg.execute(source, "CREATE TABLE public.t (x int); INSERT INTO public.t VALUES (1), (2)");
    String target = PgTestSupport.uniqueDb("acl_dst");
    String role = target + "_app";
    pg.createDatabase(target);
    pg.execute(target, "CREATE TABLE public.old (x int); INSERT INTO public.old VALUES (1)");
    // a common hardening: only the application role may connect
    pg.execute("postgres", "CREATE ROLE " + role + " LOGIN; REVOKE ALL ON DATABASE " + target + " FROM PUBLIC;"
        + " GRANT CONNECT, TEMPORARY ON DATABASE " + target + " TO " + role);
    String privileges = "SELECT string_agg(p, ',' ORDER BY p) FROM (SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC'"
        + " ELSE pg_get_userbyid(a.grantee) END || ':' || a.privilege_type AS p"
        + " FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = '" + target + "') s";
    String before = pg.queryValue("postgres", privileges);
    assertThat(before).contains(role + ":CONNECT").doesNotContain("PUBLIC");
    try (Backups b = PgTestSupport.backups(repo)) {
      var m = b.backup(BackupJob.builder().source(pg.uri(source)).build());
      b.restore(m.id(), io.backup4j.core.RestoreJob.builder(pg.uri(target)).option("clean", "true").build());
      assertThat(pg.queryValue(target, "SELECT count(*) FROM public.t")).isEqualTo("2");
      assertThat(pg.queryValue("postgres", privileges)).as("the replaced database's privileges").isEqualTo(before);
      assertThat(pg.queryValue("postgres", "SELECT has_database_privilege('public', '" + target + "', 'CONNECT')"))
          .isEqualTo("f");
    } finally {
      pg.dropDatabase(target);
      pg.execute("postgres", "DROP ROLE IF EXISTS " + role);
    }
  }

  @Test
  void cleanRestoreThatReplacesTheDatabaseKeepsItsSettingsCommentAndConnectionLimit(@TempDir Path repo)
      throws Exception {
    String source = PgTestSupport.uniqueDb("set_src");
    pg.createDatabase(source);
    pg.execute(source, "CREATE SCHEMA app; CREATE TABLE app.t (x int); INSERT INTO app.t VALUES (1)");
    String target = PgTestSupport.uniqueDb("set_dst");
    String role = target + "_app";
    pg.createDatabase(target);
    pg.execute(target, "CREATE TABLE public.old (x int)");
    pg.execute("postgres", "CREATE ROLE " + role + " LOGIN;"
        + " ALTER DATABASE " + target + " SET search_path = \"$user\", app, \"Odd, Schema\";"
        + " ALTER DATABASE " + target + " SET work_mem = '64MB';"
        + " ALTER DATABASE " + target + " SET application_name = 'it''s \\ here';"
        + " ALTER ROLE " + role + " IN DATABASE " + target + " SET statement_timeout = '5s';"
        + " ALTER DATABASE " + target + " CONNECTION LIMIT 42;"
        + " COMMENT ON DATABASE " + target + " IS 'the shop''s data'");
    String settings = "SELECT string_agg(coalesce(pg_get_userbyid(NULLIF(s.setrole, 0)), '-') || ':' || c,"
        + " '|' ORDER BY s.setrole, c) FROM pg_db_role_setting s, unnest(s.setconfig) c"
        + " WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = '" + target + "')";
    String props = "SELECT datconnlimit || '|' || shobj_description(oid, 'pg_database') FROM pg_database"
        + " WHERE datname = '" + target + "'";
    String settingsBefore = pg.queryValue("postgres", settings);
    String propsBefore = pg.queryValue("postgres", props);
    assertThat(settingsBefore).contains("search_path=").contains("work_mem=64MB").contains(role + ":statement_timeout");
    assertThat(propsBefore).isEqualTo("42|the shop's data");
    try (Backups b = PgTestSupport.backups(repo)) {
      var m = b.backup(BackupJob.builder().source(pg.uri(source)).build());
      b.restore(m.id(), io.backup4j.core.RestoreJob.builder(pg.uri(target)).option("clean", "true").build());
      assertThat(pg.queryValue(target, "SELECT count(*) FROM app.t")).isEqualTo("1");
      assertThat(pg.queryValue("postgres", settings)).isEqualTo(settingsBefore);
      assertThat(pg.queryValue("postgres", props)).isEqualTo(propsBefore);
      // the list setting still has three entries, as the server reads it in a new session
      assertThat(pg.queryValue(target, "SHOW search_path")).isEqualTo("\"$user\", app, \"Odd, Schema\"");
    } finally {
      pg.dropDatabase(target);
      pg.execute("postgres", "DROP ROLE IF EXISTS " + role);
    }
  }

  /** A pass-through transform that runs {@code action} once after {@code n} bytes went through. */
  static Transform afterBytes(long n, Runnable action) {
    return new Transform() {
      @Override
      public TransformSpec spec() {
        return TransformSpec.of("tap");
      }

      @Override
      public OutputStream encode(OutputStream downstream) {
        return new FilterOutputStream(downstream) {
          long count;
          boolean done;

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
            if (!done && count >= n) {
              done = true;
              action.run();
            }
          }
        };
      }

      @Override
      public InputStream decode(InputStream upstream) {
        return upstream;
      }
    };
  }
}
