package io.backup4j.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.IntegrityException;
import io.backup4j.testkit.postgres.PostgresServer;
import io.backup4j.testkit.postgres.RichSchema;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data section {@link CustomArchive} writes out of a real pg_dump archive is the one pg_restore writes, line for
 * line (settings apart), and what it does not take or finds damaged is refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CustomArchiveTest {
  static final String DB = "archive";
  PostgresServer pg;
  Path tools;

  @BeforeAll
  void start() throws Exception {
    PgTestSupport.clientMajor();
    tools = PgTestSupport.pgDump().getParent();
    pg = PgTestSupport.start(15);
    pg.createDatabase(DB);
    pg.execute(DB, """
        CREATE SCHEMA "odd schema";
        CREATE TABLE "odd schema"."Mixed Case" (id int GENERATED ALWAYS AS IDENTITY, t text, b bytea, j jsonb,
          a int[], n numeric);
        INSERT INTO "odd schema"."Mixed Case" (t, b, j, a, n) VALUES
          (E'tab\\there, newline\\nthere, backslash \\\\ and \\\\.', '\\x00ff10', '{"k": [1, null, "ü"]}',
           '{1,2,NULL}', 1.5),
          (E'\\\\.', NULL, NULL, NULL, NULL),
          ('.', '\\x', 'null', '{}', -0.0),
          ('ünïcødé ✓ 😀', NULL, NULL, NULL, NULL),
          (NULL, NULL, NULL, NULL, NULL);
        INSERT INTO "odd schema"."Mixed Case" (t) SELECT md5(i::text) FROM generate_series(1, 20000) i;
        INSERT INTO "odd schema"."Mixed Case" (t) VALUES ('');
        CREATE TABLE public.empty (x int);
        CREATE TABLE public.only_empty_strings (s text);
        INSERT INTO public.only_empty_strings VALUES (''), ('');
        CREATE SEQUENCE public.counter START 5;
        SELECT setval('public.counter', 42);
        CREATE TABLE public.parted (k int, v text) PARTITION BY RANGE (k);
        CREATE TABLE public.parted_low PARTITION OF public.parted FOR VALUES FROM (0) TO (100);
        CREATE TABLE public.parted_high PARTITION OF public.parted FOR VALUES FROM (100) TO (MAXVALUE);
        INSERT INTO public.parted SELECT i, 'v' || i FROM generate_series(0, 300) i;""");
  }

  @AfterAll
  void stop() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  private byte[] dump(String db, String... extra) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(tools.resolve("pg_dump").toString(), "--format=custom",
        "--no-password", "--dbname=" + connString(db)));
    cmd.addAll(Arrays.asList(extra));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().put("PGPASSWORD", pg.password()); // never on the command line
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes(); // to a pipe, as backup4j runs it: no offsets, data in order
    assertThat(p.waitFor()).isZero();
    return out;
  }

  private String connString(String db) {
    return "host=" + pg.host() + " port=" + pg.port() + " user=" + pg.user() + " dbname=" + db;
  }

  private String pgRestoreData(Path archive) throws Exception {
    Process p = new ProcessBuilder(tools.resolve("pg_restore").toString(), "--section=data", "--file=-",
        archive.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).isZero();
    return out;
  }

  private static String ours(byte[] archive) throws Exception {
    InputStream in = new ByteArrayInputStream(archive);
    CustomArchive.Head head = CustomArchive.readHead(in);
    return new String(CustomArchive.dataScript(head, in).readAllBytes(), StandardCharsets.UTF_8);
  }

  /** The script without comments, empty lines, settings and psql's restrict guards. */
  private static List<String> statementsAndRows(String script) {
    return script.lines().filter(l -> !l.isEmpty() && !l.startsWith("--") && !l.startsWith("SET ")
        && !l.startsWith("SELECT pg_catalog.set_config(") && !l.startsWith("\\restrict ")
        && !l.startsWith("\\unrestrict ")).toList();
  }

  @Test
  void theDataSectionIsPgRestoresLineForLine(@TempDir Path tmp) throws Exception {
    byte[] archive = dump(DB, "--compress=0");
    Path file = tmp.resolve("a.pgc");
    Files.write(file, archive);
    String expected = pgRestoreData(file);
    String script = ours(archive);
    List<String> mine = statementsAndRows(script);
    assertThat(mine).isEqualTo(statementsAndRows(expected));
    assertThat(mine).anyMatch(l -> l.startsWith("COPY \"odd schema\".\"Mixed Case\" "))
        .contains("SELECT pg_catalog.setval('public.counter', 42, true);").hasSizeGreaterThan(20_000);
    assertThat(script.lines()).contains("SET client_encoding = 'UTF8';",
        "SELECT pg_catalog.set_config('search_path', '', false);", "SET row_security = off;");
  }

  @Test
  void anArchiveItDoesNotTakeIsLeftToPgRestore() throws Exception {
    assertThatThrownBy(() -> CustomArchive.readHead(new ByteArrayInputStream(dump(DB, "--compress=1"))))
        .isInstanceOf(CustomArchive.Unsupported.class).hasMessageContaining("compressed");
    assertThatThrownBy(() -> CustomArchive.readHead(new ByteArrayInputStream(dump(DB, "--compress=0",
        "--inserts")))).isInstanceOf(CustomArchive.Unsupported.class).hasMessageContaining("--inserts");
    String lo = PgTestSupport.uniqueDb("lo");
    pg.createDatabase(lo);
    RichSchema.install(pg, lo, 100); // large objects among the rest
    assertThatThrownBy(() -> CustomArchive.readHead(new ByteArrayInputStream(dump(lo, "--compress=0"))))
        .isInstanceOf(CustomArchive.Unsupported.class).hasMessageContaining("BLOBS");
    assertThatThrownBy(() -> CustomArchive.readHead(new ByteArrayInputStream("PGDMX...".getBytes(
        StandardCharsets.US_ASCII)))).isInstanceOf(CustomArchive.Unsupported.class);
  }

  @Test
  void anArchiveCutShortOrWithBytesAfterItsLastBlockFails() throws Exception {
    byte[] archive = dump(DB, "--compress=0");
    for (int cut : new int[] {archive.length - 1, archive.length - 5, archive.length / 2}) {
      assertThatThrownBy(() -> ours(Arrays.copyOf(archive, cut)))
          .isInstanceOfAny(IntegrityException.class, java.io.EOFException.class);
    }
    byte[] longer = Arrays.copyOf(archive, archive.length + 1);
    assertThatThrownBy(() -> ours(longer)).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("after its last data block");
  }

  @Test
  void aDataBlockThatIsNotTheOneTheTableOfContentsAnnouncesFails() throws Exception {
    byte[] archive = dump(DB, "--compress=0");
    ByteArrayInputStream in = new ByteArrayInputStream(archive);
    CustomArchive.readHead(in);
    int first = archive.length - in.available(); // the first data block: its type byte, then its entry's id
    assertThat(archive[first]).isEqualTo((byte) 1);
    byte[] other = archive.clone();
    other[first + 2]++; // the id's lowest byte (after the sign byte)
    assertThatThrownBy(() -> ours(other)).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("not the one its table of contents announces");
  }

  @Test
  void theReblockedArchiveIsTheSameArchiveToPgRestoreInFewerDataBlocks(@TempDir Path tmp) throws Exception {
    String big = PgTestSupport.uniqueDb("big");
    pg.createDatabase(big);
    // small rows around rows larger than a joined block, which pass through in blocks of their own
    pg.execute(big, """
        CREATE TABLE t (id int PRIMARY KEY, v text);
        INSERT INTO t SELECT i, md5(i::text) FROM generate_series(1, 5000) i;
        INSERT INTO t SELECT 100000 + i, repeat(md5(i::text), 4000 + i) FROM generate_series(1, 3) i;
        INSERT INTO t SELECT i, md5(i::text) FROM generate_series(5001, 9000) i;""");
    for (String db : List.of(DB, big)) {
      byte[] archive = dump(db, "--compress=0");
      byte[] joined = CustomArchive.reblocked(new ByteArrayInputStream(archive)).readAllBytes();
      Path original = tmp.resolve(db + ".pgc");
      Path rewritten = tmp.resolve(db + "-joined.pgc");
      Files.write(original, archive);
      Files.write(rewritten, joined);

      // what pg_restore executes from it is the same, row for row
      assertThat(statementsAndRows(pgRestoreData(rewritten))).isEqualTo(statementsAndRows(pgRestoreData(original)));
      assertThat(statementsAndRows(ours(joined))).isEqualTo(statementsAndRows(ours(archive)));
      // one length (a sign byte and 4 bytes) per row before; per 64 KiB of rows after
      assertThat(archive.length - joined.length).as(db).isGreaterThan(5 * 8_000);
    }
    // cut short, it still fails
    byte[] archive = dump(big, "--compress=0");
    for (int cut : new int[] {archive.length - 1, archive.length / 2, archive.length - 200_000}) {
      assertThatThrownBy(() -> CustomArchive.reblocked(new ByteArrayInputStream(Arrays.copyOf(archive, cut)))
          .readAllBytes()).isInstanceOfAny(IntegrityException.class, java.io.EOFException.class);
    }
  }

  @Test
  void anArchiveTheReblockingDoesNotTakePassesUnchanged() throws Exception {
    String lo = PgTestSupport.uniqueDb("lo2");
    pg.createDatabase(lo);
    RichSchema.install(pg, lo, 100); // large objects among the rest
    for (byte[] archive : List.of(dump(DB, "--compress=1"), dump(lo, "--compress=0"),
        "PGDMX not an archive".getBytes(StandardCharsets.US_ASCII))) {
      assertThat(CustomArchive.reblocked(new ByteArrayInputStream(archive)).readAllBytes()).isEqualTo(archive);
    }
  }
}
