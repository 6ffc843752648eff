package io.backup4j.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.Cancellation;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.Manifest;
import io.backup4j.api.RestoreSession;
import io.backup4j.testkit.postgres.PostgresServer;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link ParallelDataLoad} against a real server: rows of one table spread over several connections (each run of
 * rows cut at a row boundary, whatever the read sizes), statements in order, and every shape it does not know
 * refused instead of guessed at.
 */
class ParallelDataLoadTest {
  private static PostgresServer pg;
  private static final String PREAMBLE = "--\n-- PostgreSQL database dump\n--\n\n\\restrict AbC123\n"
      + "SET statement_timeout = 0;\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n"
      + "SELECT pg_catalog.set_config('search_path', '', false);\n\n";

  @BeforeAll
  static void start() throws Exception {
    pg = PgTestSupport.start(15);
  }

  @AfterAll
  static void stop() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void rowsOfOneTableAreLoadedOverEveryConnectionAndStatementsRunInOrder() throws Exception {
    String db = fresh("CREATE TABLE public.t (id int PRIMARY KEY, v text); CREATE TABLE public.u (k text);"
        + " CREATE SEQUENCE public.s");
    StringBuilder script = new StringBuilder(PREAMBLE);
    script.append("COPY public.t (id, v) FROM stdin;\n");
    int rows = 40_000; // about 3.6 MB: several runs of ParallelDataLoad.RUN bytes
    for (int i = 1; i <= rows; i++) {
      script.append(i).append('\t').append(i % 7 == 0 ? "\\N" : "row " + i + " \\\\ tab\\tnewline\\n " + "x".repeat(60))
          .append('\n');
    }
    script.append("\\.\n\n");
    script.append("SELECT pg_catalog.setval('public.s', 42, true);\n");
    script.append("COPY public.u (k) FROM stdin;\n\\.\n"); // an empty table
    script.append("COPY public.u (k) FROM stdin;\n\\\\.\n\\.\n"); // a row that is a backslash and a dot
    script.append("\\unrestrict AbC123\n");
    ParallelDataLoad load = loadInto(db, 2, script.toString());

    assertThat(load.tablesLoaded()).isEqualTo(3);
    assertThat(load.tablesLoadedInBinary()).as("t and the non-empty u, as binary COPY").isEqualTo(2);
    assertThat(pg.queryValue(db, "SELECT count(*) FROM public.t")).isEqualTo(Integer.toString(rows));
    assertThat(pg.queryValue(db, "SELECT sum(id) FROM public.t")).isEqualTo(Long.toString((long) rows * (rows + 1) / 2));
    assertThat(pg.queryValue(db, "SELECT count(*) FROM public.t WHERE v IS NULL")).isEqualTo(Integer.toString(rows / 7));
    assertThat(pg.queryValue(db, "SELECT v FROM public.t WHERE id = 1"))
        .isEqualTo("row 1 \\ tab\tnewline\n " + "x".repeat(60));
    // each connection held one COPY (one transaction) of the table
    assertThat(pg.queryValue(db, "SELECT count(DISTINCT xmin::text) FROM public.t")).isEqualTo("2");
    assertThat(pg.queryValue(db, "SELECT last_value FROM public.s")).isEqualTo("42");
    assertThat(pg.queryValue(db, "SELECT string_agg(k, ',') FROM public.u")).isEqualTo("\\.");
  }

  @Test
  void enumsAndDomainsGoAsBinaryCopyOfTheirBaseTypeAndTheServerStillChecksThem() throws Exception {
    String db = fresh("CREATE TYPE public.mood AS ENUM ('sad', 'ok', 'happy');"
        + " CREATE DOMAIN public.email AS text CHECK (VALUE LIKE '%@%');"
        + " CREATE DOMAIN public.positive AS int8 CHECK (VALUE > 0);"
        + " CREATE DOMAIN public.cheerful AS public.mood CHECK (VALUE <> 'sad');"
        + " CREATE DOMAIN public.work_email AS public.email;" // a domain over a domain: text COPY
        + " CREATE TABLE public.e (id public.positive, m public.mood, e public.email, c public.cheerful);"
        + " CREATE TABLE public.w (id int, e public.work_email)");
    String script = PREAMBLE + "COPY public.e (id, m, e, c) FROM stdin;\n1\tsad\ta@b\tok\n2\thappy\t\\N\thappy\n\\.\n"
        + "COPY public.w (id, e) FROM stdin;\n1\tw@b\n\\.\n";
    ParallelDataLoad load = loadInto(db, 1, script);
    assertThat(load.tablesLoaded()).isEqualTo(2);
    assertThat(load.tablesLoadedInBinary()).isEqualTo(1);
    assertThat(pg.queryValue(db, "SELECT string_agg(x::text, ',' ORDER BY id) FROM public.e x"))
        .isEqualTo("(1,sad,a@b,ok),(2,happy,,happy)");
    assertThat(pg.queryValue(db, "SELECT e FROM public.w")).isEqualTo("w@b");

    // the domains' checks and the enum's labels hold for binary rows too
    String db2 = fresh("CREATE TYPE public.mood AS ENUM ('sad', 'ok');"
        + " CREATE DOMAIN public.cheerful AS public.mood CHECK (VALUE <> 'sad');"
        + " CREATE DOMAIN public.positive AS int8 CHECK (VALUE > 0);"
        + " CREATE TABLE public.e (id public.positive, c public.cheerful)");
    for (String row : List.of("1\tsad", "0\tok", "1\tglad")) {
      assertThatThrownBy(() -> loadInto(db2, 1, PREAMBLE + "COPY public.e (id, c) FROM stdin;\n" + row + "\n\\.\n"))
          .as(row).hasMessageContaining("COPY e").satisfies(e -> assertThat(e.getMessage()).containsAnyOf(
              "violates check constraint", "invalid input value for enum"));
    }
    assertThat(pg.queryValue(db2, "SELECT count(*) FROM public.e")).isEqualTo("0");
  }

  @Test
  void aValueBinaryCopyDoesNotConvertOrARowTooLargeForItSwitchesTheTableToTextAndLosesNothing() throws Exception {
    String db = fresh("CREATE TABLE public.b (id int8, d date, v text); CREATE TABLE public.c (id int4, v text);"
        + " CREATE DOMAIN public.email AS text CHECK (VALUE LIKE '%@%');"
        + " CREATE TABLE public.dm (id int, e public.email)");
    StringBuilder script = new StringBuilder(PREAMBLE);
    int rows = 40_000;
    script.append("COPY public.b (id, d, v) FROM stdin;\n");
    for (int i = 1; i <= rows; i++) {
      // a date BC, which binary COPY leaves to the server's own parser, in the middle of the table
      script.append(i).append('\t').append(i == 25_000 ? "0044-03-15 BC" : "2024-01-01").append('\t')
          .append("row ").append(i).append(" tab\\tend").append('\n');
    }
    script.append("\\.\n");
    script.append("COPY public.c (id, v) FROM stdin;\n");
    script.append("1\tsmall\n2\t").append("y".repeat(9 << 20)).append("\n3\tafter\n\\.\n"); // a 9 MiB row
    script.append("COPY public.dm (id, e) FROM stdin;\n1\ta@b\n2\t\\N\n\\.\n");
    ParallelDataLoad load = loadInto(db, 1, script.toString());

    assertThat(load.tablesLoaded()).isEqualTo(3);
    assertThat(load.tablesLoadedInBinary()).as("dm, a domain over text").isEqualTo(1);
    assertThat(pg.queryValue(db, "SELECT count(*) || ' ' || sum(id) || ' ' || count(DISTINCT v) FROM public.b"))
        .isEqualTo(rows + " " + (long) rows * (rows + 1) / 2 + " " + rows);
    assertThat(pg.queryValue(db, "SELECT d FROM public.b WHERE id = 25000")).isEqualTo("0044-03-15 BC");
    assertThat(pg.queryValue(db, "SELECT v FROM public.b WHERE id = 7")).isEqualTo("row 7 tab\tend");
    // the rows before the date went as binary COPY, the rest as text: two COPYs of one connection
    assertThat(pg.queryValue(db, "SELECT count(DISTINCT xmin::text) FROM public.b")).isEqualTo("2");
    assertThat(pg.queryValue(db, "SELECT count(*) FROM public.b WHERE id < 25000 AND xmin = (SELECT xmin FROM"
        + " public.b WHERE id = 1)")).isGreaterThan("0");
    assertThat(pg.queryValue(db, "SELECT string_agg(id || ':' || length(v), ',' ORDER BY id) FROM public.c"))
        .isEqualTo("1:5,2:" + (9 << 20) + ",3:5");
    assertThat(pg.queryValue(db, "SELECT count(DISTINCT xmin::text) FROM public.c")).isEqualTo("2");
    assertThat(pg.queryValue(db, "SELECT string_agg(id || ':' || coalesce(e, 'null'), ',' ORDER BY id) FROM public.dm"))
        .isEqualTo("1:a@b,2:null");
  }

  @Test
  void aMetaCommandLineIsRefusedAndNothingAfterItRuns() throws Exception {
    String db = fresh("CREATE SEQUENCE public.s");
    String script = PREAMBLE + "\\! touch /tmp/backup4j-must-not-exist\n"
        + "SELECT pg_catalog.setval('public.s', 42, true);\n";
    assertThatThrownBy(() -> loadInto(db, 2, script)).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("\\! touch").hasMessageContaining("jobs=1");
    assertThat(pg.queryValue(db, "SELECT last_value FROM public.s")).isEqualTo("1");
  }

  @Test
  void aStatementOverSeveralLinesIsRefused() throws Exception {
    String db = fresh("CREATE TABLE public.t (id int)");
    String script = PREAMBLE + "INSERT INTO public.t\nVALUES (1);\n";
    assertThatThrownBy(() -> loadInto(db, 2, script)).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("several lines");
    assertThat(pg.queryValue(db, "SELECT count(*) FROM public.t")).isEqualTo("0");
  }

  @Test
  void dataCutShortIsDetectedAndItsCopyIsRolledBack() throws Exception {
    String db = fresh("CREATE TABLE public.t (id int, v text)");
    StringBuilder script = new StringBuilder(PREAMBLE).append("COPY public.t (id, v) FROM stdin;\n");
    for (int i = 0; i < 30_000; i++) {
      script.append(i).append("\tsome text of the row ").append(i).append('\n');
    }
    assertThatThrownBy(() -> loadInto(db, 2, script.toString())).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("public.t").hasMessageContaining("cut short");
    assertThat(pg.queryValue(db, "SELECT count(*) FROM public.t")).isEqualTo("0");
  }

  private static String fresh(String ddl) throws Exception {
    String db = PgTestSupport.uniqueDb("pload");
    pg.createDatabase(db);
    pg.execute(db, ddl);
    return db;
  }

  private static ParallelDataLoad loadInto(String db, int jobs, String script) throws Exception {
    ConnectionSpec spec = ConnectionSpec.parse(pg.uri(db));
    List<Connection> connections = new ArrayList<>();
    try {
      for (int i = 0; i < jobs; i++) {
        connections.add(Jdbc.connect(spec, null));
      }
      ParallelDataLoad load = new ParallelDataLoad(connections, session(), spec.redacted());
      load.load(new ChoppyStream(script.getBytes(StandardCharsets.UTF_8)));
      return load;
    } finally {
      for (Connection c : connections) {
        c.close();
      }
    }
  }

  /** Returns reads of random small sizes, so rows and end lines straddle the loader's buffer refills. */
  private static final class ChoppyStream extends FilterInputStream {
    private final Random random = new Random(42);

    ChoppyStream(byte[] data) {
      super(new ByteArrayInputStream(data));
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = random.nextInt(4) == 0 ? 1 + random.nextInt(3) : 1 + random.nextInt(Math.max(1, Math.min(len, 70_000)));
      return super.read(b, off, Math.min(len, n));
    }
  }

  private static RestoreSession session() {
    return new RestoreSession() {
      @Override
      public Manifest manifest() {
        throw new AssertionError("not needed");
      }

      @Override
      public InputStream openPart(String name) {
        throw new AssertionError("not needed");
      }

      @Override
      public void progress(String unit, long done, long total, String message) {}

      @Override
      public void warn(String message) {}

      @Override
      public Cancellation cancellation() {
        return new Cancellation();
      }

      @Override
      public Path temporaryDirectory() {
        throw new AssertionError("not needed");
      }
    };
  }
}
