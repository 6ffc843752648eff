package io.backup4j.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.BackupEvent;
import io.backup4j.api.Manifest;
import io.backup4j.api.PartInfo;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.core.RestoreJob;
import io.backup4j.testkit.postgres.DatabaseFingerprint;
import io.backup4j.testkit.postgres.PostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What happens while pg_dump is still running, made deterministic without any timing: the table {@code public.z_gated}
 * (named to sort last, so the other tables stream first) has a forced row-level-security policy whose function waits on an advisory lock the test holds, so pg_dump (run
 * with {@code --enable-row-security} as the table's owner, an ordinary role) cannot finish dumping it until the test
 * releases the lock. The test looks at the running backup, then releases the gate. A watchdog releases it after two
 * minutes so that a regression fails instead of hanging.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PgDumpWhileRunningTest {
  static final String DB = "gated";
  static final String DUMPER_PASSWORD = "dumper-Pw:3\\z";
  static final long GATE_KEY = 424242;

  PostgresServer pg;
  Path tmp;
  Path passwordFile;
  String dumperUri;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    tmp = dir;
    PgTestSupport.clientMajor();
    pg = PgTestSupport.start(14);
    pg.execute("postgres", "CREATE ROLE dumper LOGIN PASSWORD '" + DUMPER_PASSWORD.replace("'", "''") + "'");
    pg.createDatabase(DB);
    StringBuilder sql = new StringBuilder("""
        CREATE FUNCTION public.gate() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
        BEGIN PERFORM pg_advisory_lock_shared(%d); PERFORM pg_advisory_unlock_shared(%d); RETURN true; END $$;
        CREATE TABLE public.z_gated (id int PRIMARY KEY, v text);
        INSERT INTO public.z_gated SELECT i, 'gated ' || i FROM generate_series(1, 5) i;
        ALTER TABLE public.z_gated OWNER TO dumper;
        ALTER TABLE public.z_gated ENABLE ROW LEVEL SECURITY;
        ALTER TABLE public.z_gated FORCE ROW LEVEL SECURITY;
        CREATE POLICY gate ON public.z_gated USING (public.gate());
        """.formatted(GATE_KEY, GATE_KEY));
    for (int t = 1; t <= 4; t++) {
      sql.append("CREATE TABLE public.t").append(t).append(" (id int PRIMARY KEY, v text);")
          .append("INSERT INTO public.t").append(t).append(" SELECT i, md5(i::text) FROM generate_series(1, ")
          .append(1000 * t).append(") i;")
          .append("ALTER TABLE public.t").append(t).append(" OWNER TO dumper;");
    }
    pg.execute(DB, sql.toString());
    passwordFile = Files.createFile(tmp.resolve("dumper.pw"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(passwordFile, DUMPER_PASSWORD + "\n");
    dumperUri = pg.uriWithoutPassword(DB).replace("postgres@", "dumper@");
  }

  @AfterAll
  void stop() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  /** Holds the advisory lock the policy of {@code public.z_gated} waits on. */
  final class Gate implements AutoCloseable {
    private final Connection c;
    private final Thread watchdog;
    private boolean released;
    volatile boolean releasedByWatchdog;

    Gate() throws SQLException {
      c = pg.connect(DB);
      try (Statement st = c.createStatement()) {
        st.execute("SELECT pg_advisory_lock(" + GATE_KEY + ")");
      }
      watchdog = new Thread(() -> {
        try {
          Thread.sleep(120_000);
          releasedByWatchdog = true;
          release();
        } catch (InterruptedException e) {
          // closed in time
        }
      }, "gate-watchdog");
      watchdog.setDaemon(true);
      watchdog.start();
    }

    synchronized boolean isReleased() {
      return released;
    }

    synchronized void release() {
      if (!released) {
        released = true;
        try (Statement st = c.createStatement()) {
          st.execute("SELECT pg_advisory_unlock(" + GATE_KEY + ")");
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      }
    }

    @Override
    public void close() throws SQLException {
      watchdog.interrupt();
      release();
      c.close();
    }
  }

  static List<ProcessHandle> runningPgDumps() {
    return ProcessHandle.current().descendants()
        .filter(p -> p.isAlive() && p.info().command().map(c -> c.endsWith("pg_dump")).orElse(false)).toList();
  }

  /** The fixture's own check: while the gate is closed, the owner's read of the table waits (here: is cancelled). */
  @Test
  void closedGateHoldsTheOwnersReadOfTheGatedTable() throws Exception {
    java.util.Properties p = new java.util.Properties();
    p.setProperty("user", "dumper");
    p.setProperty("password", DUMPER_PASSWORD);
    try (Connection c = java.sql.DriverManager.getConnection(pg.jdbcUrl(DB), p); Statement st = c.createStatement()) {
      try (Gate gate = new Gate()) {
        st.execute("SET statement_timeout = '300ms'");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> st.executeQuery("SELECT count(*) FROM public.z_gated"))
            .isInstanceOf(SQLException.class).hasMessageContaining("statement timeout");
      }
      st.execute("SET statement_timeout = 0");
      try (var rs = st.executeQuery("SELECT count(*) FROM public.z_gated")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(5);
      }
    }
  }

  @Test
  void directoryFormatCommitsFinishedTablesWhilePgDumpIsStillDumping() throws Exception {
    Path repo = tmp.resolve("repo-dir");
    List<String> log = new CopyOnWriteArrayList<>();
    AtomicReference<String> firstDataPart = new AtomicReference<>();
    Manifest m;
    try (Gate gate = new Gate();
        Backups b = Backups.builder().repository(repo.toUri().toString()).listener(e -> {
          if (e instanceof BackupEvent.PartFinished f && f.part().name().matches("dir/\\d+\\.dat.*")) {
            log.add(f.part().name() + (gate.isReleased() ? " after release" : " while gated"));
            if (firstDataPart.compareAndSet(null, f.part().name())) {
              // committed and visible in the repository while pg_dump still waits inside public.z_gated
              log.add("stored: " + Files.isRegularFile(repo.resolve(f.part().key())));
              log.add("pg_dump processes running: " + runningPgDumps().size());
              gate.release();
            }
          }
        }).build()) {
      m = b.backup(BackupJob.builder().source(dumperUri).sourceOption("passwordFile", passwordFile.toString())
          .sourceOption("format", "directory").sourceOption("jobs", "2")
          .sourceOption("pgDumpArgs", "--enable-row-security").build());
      assertThat(gate.releasedByWatchdog).as("released by a committed part, not by the watchdog: " + log).isFalse();
    }
    assertThat(log.get(0)).endsWith(" while gated");
    assertThat(log.get(1)).isEqualTo("stored: true");
    assertThat(log.get(2)).as(String.valueOf(log)).startsWith("pg_dump processes running: ")
        .isNotEqualTo("pg_dump processes running: 0");
    // the gated table's file came later, after the release; toc.dat last
    assertThat(log.subList(3, log.size())).as(String.valueOf(log)).isNotEmpty().allMatch(s -> s.endsWith(" after release"));
    List<String> names = m.parts().stream().map(PartInfo::name).toList();
    assertThat(names.get(0)).isEqualTo(firstDataPart.get());
    assertThat(names.get(names.size() - 1)).isEqualTo("dir/toc.dat");
    assertThat(names.stream().filter(n -> n.matches("dir/\\d+\\.dat.*"))).hasSize(5);

    String restored = PgTestSupport.uniqueDb("gated_copy");
    try (Backups b = PgTestSupport.backups(repo)) {
      b.restore(m.id(), RestoreJob.builder(pg.uri(restored)).option("create", "true").build());
    }
    assertThat(DatabaseFingerprint.tableDigests(pg, restored, null))
        .isEqualTo(DatabaseFingerprint.tableDigests(pg, DB, null)).containsKey("public.z_gated");
  }

  @Test
  void passwordFileReachesPgDumpOnlyThroughAPrivate0600PassfileThatIsDeletedAfterwards() throws Exception {
    Path repo = tmp.resolve("repo-pw");
    List<String> seen = new ArrayList<>();
    AtomicReference<Path> passfile = new AtomicReference<>();
    try (Gate gate = new Gate()) {
      // records what `ps` and /proc show of the running pg_dump (asserted below, after the gate is open again)
      var inspector = PostgresFaultTest.afterBytes(1, () -> {
        try {
          List<ProcessHandle> dumps = runningPgDumps();
          seen.add("pg_dump processes: " + dumps.size()); // it cannot have finished: it waits inside public.z_gated
          for (ProcessHandle p : dumps) {
            seen.add("argv has password: " + p.info().commandLine().orElse("").contains(DUMPER_PASSWORD));
            String environ = Files.readString(Path.of("/proc/" + p.pid() + "/environ"));
            seen.add("environment has password: " + (environ.contains(DUMPER_PASSWORD)
                || environ.contains("PGPASSWORD=")));
            for (String kv : environ.split("\0")) {
              if (kv.startsWith("PGPASSFILE=")) {
                passfile.set(Path.of(kv.substring("PGPASSFILE=".length())));
              }
            }
            Path f = passfile.get();
            seen.add("passfile is the user's file: " + (f == null || f.equals(passwordFile)));
            if (f != null) {
              seen.add(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
              seen.add(Files.readString(f));
            }
          }
        } catch (IOException | RuntimeException e) {
          seen.add("inspection failed: " + e);
        } finally {
          gate.release();
        }
      });
      try (Backups b = PgTestSupport.backups(repo)) {
        Manifest m = b.backup(BackupJob.builder().source(dumperUri).transform(inspector)
            .sourceOption("passwordFile", passwordFile.toString())
            .sourceOption("pgDumpArgs", "--enable-row-security").build());
        assertThat(m.sourceIdentity()).doesNotContain(DUMPER_PASSWORD);
        assertThat(m.sourceMetadata().get("postgres.options")).doesNotContain(DUMPER_PASSWORD);
      }
      assertThat(gate.releasedByWatchdog).isFalse();
    }
    assertThat(seen).containsExactly("pg_dump processes: 1", "argv has password: false",
        "environment has password: false", "passfile is the user's file: false", "rw-------",
        "*:*:*:*:" + DUMPER_PASSWORD.replace("\\", "\\\\").replace(":", "\\:") + "\n");
    assertThat(passfile.get()).as("the private passfile is deleted after the backup").doesNotExist();
    assertThat(Files.readString(passwordFile)).isEqualTo(DUMPER_PASSWORD + "\n");
  }
}
