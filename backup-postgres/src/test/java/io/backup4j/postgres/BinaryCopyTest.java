package io.backup4j.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.testkit.postgres.PostgresServer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * {@link BinaryCopy} against a real server: rows the server wrote as text COPY, converted, loaded back as binary
 * COPY, must be the same values (every column's text output compared row by row); and the forms it must not
 * convert (they are left to the server's text input) are refused.
 */
class BinaryCopyTest {
  private static PostgresServer pg;
  private static final String COLUMNS = "id int8, i2 int2, i4 int4, b bool, f8 float8, f4 float4, n numeric,"
      + " n2 numeric(12,4), d date, ts timestamp, tstz timestamptz, tstz3 timestamptz(3), u uuid, by bytea, t text,"
      + " vc varchar(20), ch char(6), j json, jb jsonb, ai int4[], at text[], ats timestamptz[], an numeric[],"
      + " a2 int8[], af float8[], au uuid[], ajb jsonb[], ab bool[], ad date[], avc varchar(5)[]";

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
  void everyHandledTypeRoundTripsThroughTextAndBinaryCopyToTheSameValues() throws Exception {
    String db = PgTestSupport.uniqueDb("bincopy");
    pg.createDatabase(db);
    pg.execute(db, "CREATE TABLE src (" + COLUMNS + "); CREATE TABLE dst (" + COLUMNS + ")");
    // random values over each type's range, then the edges, then a row of NULLs
    pg.execute(db, "INSERT INTO src SELECT i, (random() * 65535 - 32768)::int2, (random() * 4e9 - 2e9)::int4,"
        + " random() < 0.5,"
        + " (random() - 0.5) * 10 ^ (random() * 600 - 300),"
        + " ((random() - 0.5) * 10 ^ (random() * 70 - 35))::float4,"
        + " round(((random() - 0.5) * 10 ^ (random() * 40 - 10))::numeric, (random() * 30)::int),"
        + " round((random() * 1e7)::numeric, 4),"
        + " date '0001-01-01' + (random() * 3652058)::int,"
        + " timestamp '0001-01-01 00:00:00' + random() * (timestamp '9999-12-31 23:59:59' - timestamp '0001-01-01'),"
        + " timestamptz '0001-01-03 00:00:00+00' + random() * interval '3652000 days',"
        + " now() - random() * interval '300 years',"
        + " md5(i::text)::uuid,"
        + " ('\\x' || md5(i::text) || CASE WHEN i % 3 = 0 THEN '' ELSE md5((i * 7)::text) END)::bytea,"
        + " 'row ' || i || chr(9) || 'tab' || chr(10) || 'nl' || chr(13) || 'cr' || chr(92) || 'bs' || chr(8)"
        + "   || chr(11) || chr(12) || ' ü € 😀 ' || repeat(chr(65 + i % 26), i % 40),"
        + " left('vc' || i, 20), left('c' || (i % 1000), 6),"
        + " ('{\"k\" :  ' || i || ', \"s\": \"a\\tb\"}')::json,"
        + " jsonb_build_object('a', i, 'b', 'x' || chr(9) || 'y\\z', 'c', jsonb_build_array(1.5, null, true)),"
        // arrays: empty, with NULLs, of two and three dimensions, elements that need quotes and escapes
        + " CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN '{}' WHEN 2 THEN '{{{1,2}},{{3,4}}}' ELSE ARRAY[i, NULL, -i] END,"
        + " ARRAY['a b', '', NULL, 'NULL', 'null', 'q\"x', 'back\\s', 'c,d', '{br}', ' lead', 'ü € ' || i,"
        + "   chr(9) || 'tab' || chr(10)],"
        + " ARRAY[timestamptz '1900-01-03 00:00:00+00' + random() * interval '60000 days', NULL, 'infinity'],"
        + " ARRAY[round((random() * 1000)::numeric, 3), 'NaN', NULL, -0.001, 123456789012345678901234567890],"
        + " ARRAY[ARRAY[i, i + 1], ARRAY[NULL, -i]]::int8[],"
        + " ARRAY[random(), 'Infinity', '-0', 'NaN', 1e-300]::float8[],"
        + " ARRAY[md5(i::text)::uuid],"
        + " ARRAY[jsonb_build_object('k', i, 's', 'x\"y\\z'), 'null', '\"s\"', '[1, {}]']::jsonb[],"
        + " ARRAY[true, NULL, false],"
        + " ARRAY[date '2024-01-01' + i, 'infinity'],"
        + " ARRAY['abc', 'de f', NULL]::varchar(5)[]"
        + " FROM generate_series(1, 20000) AS i");
    pg.execute(db, "INSERT INTO src VALUES"
        + " (-9223372036854775808, -32768, -2147483648, false, 'NaN', 'NaN', 'NaN', 0, '-infinity', '-infinity',"
        + "  '-infinity', '-infinity', '00000000-0000-0000-0000-000000000000', '\\x', '', '', '', '[]', '{}'),"
        + " (9223372036854775807, 32767, 2147483647, true, 'Infinity', 'Infinity', 'Infinity', -0.0001, 'infinity',"
        + "  'infinity', 'infinity', 'infinity', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '\\x00ff', ' lead', 'x',"
        + "  'ab', '\"s\"', '\"\\u00e9\"'),"
        + " (0, 0, 0, true, '-Infinity', '-Infinity', '-Infinity', 99999999.9999, '9999-12-31',"
        + "  '9999-12-31 23:59:59.999999', '9999-12-31 12:00:00.999999+00', '0001-01-02 00:00:00+00',"
        + "  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x5c0a09', '\\N', '\\\\', '\\', 'null', 'null'),"
        + " (1, 1, 1, false, '-0', '-0', '0.000000000000000000000000000001', 0.5, '2000-02-29',"
        + "  '1900-02-28 12:00:00.000001', '1582-10-04 23:59:59.5+00', '2038-01-19 03:14:07.123+00',"
        + "  'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '\\x', 'two  spaces', 'vc', 'c', '1e400', '12345678901234567890'),"
        + " (2, 2, 2, true, 4.9e-324, 1.4e-45, 123456789012345678901234567890.123456789, -1.5, '1970-01-01',"
        + "  '0001-01-01 00:00:00', '0001-01-02 00:00:00+15:59', '2000-01-01 00:00:00-15:59',"
        + "  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x', 'x', 'x', 'x', '{}', '[]'),"
        + " (3, 3, 3, false, 1.7976931348623157e308, 3.4028235e38, 10000, 10000, '2004-02-29',"
        + "  '2004-02-29 00:00:00', '1847-01-01 00:00:00+00', '1937-06-30 23:40:27+00',"
        + "  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x', 'x', 'x', 'x', '{}', '[]'),"
        + " (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
        + "  NULL)");
    // dumps made in zones with offsets of hours and seconds (old local mean time: -04:56:02) and of minutes
    for (String zone : List.of("America/New_York", "Asia/Kolkata")) {
      pg.execute(db, "TRUNCATE dst");
      roundTrip(db, zone, zone.equals("Asia/Kolkata") ? "+05:30" : "-04:56:02");
      // every value's text output, the instants also as local times of other zones
      String digest = "SELECT md5(string_agg(x::text || (x.tstz AT TIME ZONE 'Asia/Kolkata')::text"
          + " || (x.tstz3 AT TIME ZONE 'America/New_York')::text, '|' ORDER BY id)) FROM ";
      assertThat(pg.queryValue(db, digest + "dst x")).isEqualTo(pg.queryValue(db, digest + "src x"));
      assertThat(pg.queryValue(db,
          "SELECT count(*) FROM src sa JOIN dst da ON da.id = sa.id WHERE sa::text = da::text"))
          .isEqualTo("20007");
    }
  }

  /** src written as text COPY in {@code zone}, converted in runs, loaded into dst as one binary COPY. */
  private static void roundTrip(String db, String zone, String offsetSeen) throws Exception {
    int[] oids;
    byte[] text;
    try (Connection c = Jdbc.connect(ConnectionSpec.parse(pg.uri(db)), null)) {
      oids = columnOids(c, "src");
      try (Statement st = c.createStatement()) {
        st.execute("SET TimeZone = '" + zone + "'");
        st.execute("SET extra_float_digits = 3"); // as pg_dump sets it
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY src TO STDOUT", out);
      text = out.toByteArray();
    }
    String sample = new String(text, StandardCharsets.UTF_8);
    assertThat(sample.contains(offsetSeen) && sample.contains("\\t") && sample.contains("\\\\"))
        .as("the text holds offsets like %s and escapes", offsetSeen).isTrue();
    BinaryCopy bin = BinaryCopy.forTypes(oids);
    assertThat(bin).isNotNull();

    // converted in runs cut at row boundaries, as the loader does, each a separate write to one binary COPY
    try (Connection c = Jdbc.connect(ConnectionSpec.parse(pg.uri(db)), null)) {
      try (Statement st = c.createStatement()) {
        st.execute("SET TimeZone = 'UTC'");
      }
      CopyIn in = c.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY dst FROM STDIN (FORMAT binary)");
      in.writeToCopy(BinaryCopy.HEADER, 0, BinaryCopy.HEADER.length);
      BinaryCopy.Out tuples = new BinaryCopy.Out();
      int from = 0;
      int runs = 0;
      while (from < text.length) {
        int to = Math.min(text.length, from + 4096 + runs * 97);
        while (to < text.length && text[to - 1] != '\n') {
          to++;
        }
        tuples.n = 0;
        if (!bin.transcode(text, from, to - from, tuples)) {
          in.cancelCopy();
          throw new AssertionError("a row did not convert: " + firstRefused(bin, text, from, to));
        }
        in.writeToCopy(tuples.a, 0, tuples.n);
        from = to;
        runs++;
      }
      in.writeToCopy(BinaryCopy.TRAILER, 0, BinaryCopy.TRAILER.length);
      assertThat(in.endCopy()).isEqualTo(20007);
      assertThat(runs).isGreaterThan(100);
    }
  }

  @Test
  void formsTheServerDoesNotWriteOrThatNeedItsOwnParserAreLeftToIt() {
    assertThat(convert(new int[] {1082}, "2024-02-30\n")).isFalse(); // no such day
    assertThat(convert(new int[] {1082}, "0044-03-15 BC\n")).isFalse();
    assertThat(convert(new int[] {1082}, "10000-01-01\n")).isFalse();
    assertThat(convert(new int[] {1082}, "2024-1-01\n")).isFalse();
    assertThat(convert(new int[] {1184}, "2024-01-01 00:00:00\n")).isFalse(); // timestamptz without an offset
    assertThat(convert(new int[] {1184}, "2024-01-01 24:00:00+00\n")).isFalse();
    assertThat(convert(new int[] {1184}, "2024-01-01 00:00:00.1234567+00\n")).isFalse();
    assertThat(convert(new int[] {1184}, "2024-01-01 00:00:00+16\n")).isFalse();
    assertThat(convert(new int[] {1114}, "2024-01-01 00:00:00+00\n")).isFalse();
    assertThat(convert(new int[] {20}, "+1\n")).isFalse();
    assertThat(convert(new int[] {20}, "9223372036854775808\n")).isFalse();
    assertThat(convert(new int[] {20}, " 1\n")).isFalse();
    assertThat(convert(new int[] {21}, "32768\n")).isFalse();
    assertThat(convert(new int[] {23}, "2147483648\n")).isFalse();
    assertThat(convert(new int[] {701}, "0x1p3\n")).isFalse();
    assertThat(convert(new int[] {701}, "1d\n")).isFalse();
    assertThat(convert(new int[] {701}, "1e400\n")).isFalse(); // out of range: the server's error
    assertThat(convert(new int[] {701}, "1e-400\n")).isFalse();
    assertThat(convert(new int[] {700}, "1e39\n")).isFalse();
    assertThat(convert(new int[] {701}, "inf\n")).isFalse();
    assertThat(convert(new int[] {1700}, "1e5\n")).isFalse();
    assertThat(convert(new int[] {1700}, "1.\n")).isFalse();
    assertThat(convert(new int[] {16}, "true\n")).isFalse();
    assertThat(convert(new int[] {17}, "\\\\001\n")).isFalse(); // bytea_output = escape
    assertThat(convert(new int[] {17}, "\\\\x0\n")).isFalse();
    assertThat(convert(new int[] {2950}, "a0eebc999c0b4ef8bb6d6bb9bd380a11\n")).isFalse();
    assertThat(convert(new int[] {25}, "a\\.\n")).isFalse(); // the end-of-data marker is the server's
    assertThat(convert(new int[] {25}, "\\.x\n")).isFalse();
    assertThat(convert(new int[] {25}, "raw\rcr\n")).isFalse();
    assertThat(convert(new int[] {25, 25}, "one field\n")).isFalse(); // a field too few
    assertThat(convert(new int[] {25}, "a\tb\n")).isFalse(); // a field too many
    assertThat(BinaryCopy.forTypes(new int[] {25, 1186})).isNull(); // interval: not handled
    assertThat(BinaryCopy.forTypes(new int[0])).isNull();
    assertThat(BinaryCopy.forTypes(new int[] {-17})).as("bytea[]: escapes differ inside an array").isNull();
    assertThat(BinaryCopy.forTypes(new int[] {-1186})).isNull();
    assertThat(convert(new int[] {-23}, "[0:1]={1,2}\n")).isFalse(); // lower bounds other than 1
    assertThat(convert(new int[] {-23}, "{{1,2},{3}}\n")).isFalse(); // not rectangular
    assertThat(convert(new int[] {-23}, "{1,{2}}\n")).isFalse();
    assertThat(convert(new int[] {-23}, "{{1},2}\n")).isFalse();
    assertThat(convert(new int[] {-23}, "{{}}\n")).isFalse();
    assertThat(convert(new int[] {-23}, "{null}\n")).isFalse(); // the server writes NULL
    assertThat(convert(new int[] {-23}, "{1,}\n")).isFalse();
    assertThat(convert(new int[] {-23}, "{1} \n")).isFalse();
    assertThat(convert(new int[] {-23}, "{ 1}\n")).isFalse();
    assertThat(convert(new int[] {-25}, "{\"a\"x}\n")).isFalse();
    assertThat(convert(new int[] {-25}, "{\"open}\n")).isFalse();
    assertThat(convert(new int[] {-23}, "{{{{{{{1}}}}}}}\n")).isFalse(); // 7 dimensions
    assertThat(convert(new int[] {-23}, "1 2\n")).isFalse(); // an int2vector's form
    assertThat(convert(new int[] {-23}, "{}\n")).isTrue();
    assertThat(convert(new int[] {-23}, "{{1,2},{3,NULL}}\n")).isTrue();
    assertThat(convert(new int[] {-25}, "{\"a\\\\\\\"b\",NULL,\"NULL\",x}\n")).isTrue();
    // and these convert
    assertThat(convert(new int[] {25, 20, 1184}, "\\N\t\\N\t\\N\n")).isTrue();
    assertThat(convert(new int[] {25}, "\\x41\\101\\q\\\\\n")).isTrue();
    assertThat(convert(new int[] {1184}, "2024-01-01 00:00:00.5-03:30\n")).isTrue();
  }

  @Test
  void copyStatementsAreReadAsPgDumpWritesThem() {
    assertThat(CopyColumns.parse("COPY public.t (id, v) FROM stdin"))
        .isEqualTo(new CopyColumns("public.t", List.of("id", "v")));
    assertThat(CopyColumns.parse("COPY \"S p\".\"T \"\", (x\" (\"a, b\", \"FROM\", c$1) FROM stdin"))
        .isEqualTo(new CopyColumns("\"S p\".\"T \"\", (x\"", List.of("\"a, b\"", "\"FROM\"", "c$1")));
    assertThat(CopyColumns.parse("COPY public.t  FROM stdin")).isNull(); // no columns
    assertThat(CopyColumns.parse("COPY public.t (id) FROM stdin WITH BINARY")).isNull();
    assertThat(CopyColumns.parse("COPY public.t (id,v) FROM stdin")).isNull();
    assertThat(CopyColumns.parse("COPY public.\"t (id) FROM stdin")).isNull();
  }

  private static boolean convert(int[] oids, String rows) {
    BinaryCopy bin = BinaryCopy.forTypes(oids);
    assertThat(bin).isNotNull();
    byte[] b = rows.getBytes(StandardCharsets.UTF_8);
    BinaryCopy.Out out = new BinaryCopy.Out();
    out.n = 7;
    boolean ok = bin.transcode(b, 0, b.length, out);
    if (!ok) {
      assertThat(out.n).as("a refused run leaves nothing behind").isEqualTo(7);
    }
    return ok;
  }

  private static String firstRefused(BinaryCopy bin, byte[] text, int from, int to) {
    for (int p = from; p < to; ) {
      int e = p;
      while (text[e] != '\n') {
        e++;
      }
      if (!bin.transcode(text, p, e + 1 - p, new BinaryCopy.Out())) {
        return new String(text, p, e - p, StandardCharsets.UTF_8);
      }
      p = e + 1;
    }
    return "none alone";
  }

  private static int[] columnOids(Connection c, String table) throws Exception {
    List<Integer> oids = new ArrayList<>();
    try (Statement st = c.createStatement();
        // as the loader's catalog query gives them: an array as its element type's oid negated
        ResultSet rs = st.executeQuery("SELECT CASE WHEN t.typreceive = 'array_recv'::regproc THEN -t.typelem::int8"
            + " ELSE t.oid::int8 END FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE attrelid = '"
            + table + "'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
      while (rs.next()) {
        oids.add(rs.getInt(1));
      }
    }
    return oids.stream().mapToInt(Integer::intValue).toArray();
  }
}
