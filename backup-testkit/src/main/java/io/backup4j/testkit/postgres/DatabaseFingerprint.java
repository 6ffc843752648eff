package io.backup4j.testkit.postgres;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * What a logical restore must reproduce, as comparable values: the normalised output of
 * {@code pg_dump --schema-only}, an MD5 digest and row count of every table's rows (order-independent), the
 * sequences' positions and the large objects. Two databases with equal fingerprints hold the same schema and data.
 *
 * @param schema the schema dump with comments, blank lines, {@code \restrict} keys and the database name removed
 * @param tables qualified table name to {@code rows:digest}
 * @param sequences qualified sequence name to {@code last_value/is_called}
 * @param largeObjects digest over every large object's OID and content
 */
public record DatabaseFingerprint(
    String schema, Map<String, String> tables, Map<String, String> sequences, String largeObjects) {

  private static final Pattern RESTRICT = Pattern.compile("^\\\\(un)?restrict .*$", Pattern.MULTILINE);

  /** Copies the maps. */
  public DatabaseFingerprint {
    tables = Map.copyOf(tables);
    sequences = Map.copyOf(sequences);
  }

  /**
   * Takes the fingerprint of a database.
   *
   * @param pgDump the {@code pg_dump} executable used for the schema dump
   */
  public static DatabaseFingerprint of(PostgresServer server, String database, Path pgDump)
      throws SQLException, IOException {
    return new DatabaseFingerprint(schemaDump(server, database, pgDump), tableDigests(server, database, null),
        sequences(server, database), largeObjects(server, database));
  }

  /** The fingerprint restricted to the given tables' data (for selective restores). */
  public static Map<String, String> tableDigests(PostgresServer server, String database,
      @org.jspecify.annotations.Nullable List<String> only) throws SQLException {
    Map<String, String> out = new TreeMap<>();
    try (Connection c = server.connect(database); Statement st = c.createStatement()) {
      List<String[]> rels = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("""
          SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg\\_%'
          ORDER BY 1, 2""")) {
        while (rs.next()) {
          rels.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
        }
      }
      for (String[] r : rels) {
        String name = r[0] + "." + r[1];
        if (only != null && !only.contains(name)) {
          continue;
        }
        String q = EmbeddedPostgresServer.quoteIdent(r[0]) + "." + EmbeddedPostgresServer.quoteIdent(r[1]);
        String from = r[2].equals("r") ? "ONLY " + q : q;
        // digest of the sorted per-row digests: independent of physical row order, 32 bytes per row in memory
        try (ResultSet rs = st.executeQuery("SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), ''))"
            + " FROM (SELECT md5(t::text) AS h FROM " + from + " t) s")) {
          rs.next();
          out.put(name, rs.getLong(1) + ":" + rs.getString(2));
        }
      }
    }
    return out;
  }

  /**
   * Each sequence's {@code last_value/is_called}, read from the sequence itself: {@code pg_sequences.last_value} is
   * null whenever {@code is_called} is false, so it cannot tell {@code setval(s, 500, false)} from a sequence that
   * was never used.
   */
  static Map<String, String> sequences(PostgresServer server, String database) throws SQLException {
    Map<String, String> out = new TreeMap<>();
    try (Connection c = server.connect(database); Statement st = c.createStatement()) {
      List<String[]> seqs = new ArrayList<>();
      try (ResultSet rs = st.executeQuery("""
          SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'S' ORDER BY 1, 2""")) {
        while (rs.next()) {
          seqs.add(new String[] {rs.getString(1), rs.getString(2)});
        }
      }
      for (String[] q : seqs) {
        try (ResultSet rs = st.executeQuery("SELECT last_value, is_called FROM "
            + EmbeddedPostgresServer.quoteIdent(q[0]) + "." + EmbeddedPostgresServer.quoteIdent(q[1]))) {
          rs.next();
          out.put(q[0] + "." + q[1], rs.getString(1) + "/" + rs.getBoolean(2));
        }
      }
    }
    return out;
  }

  private static String largeObjects(PostgresServer server, String database) throws SQLException {
    return server.queryValue(database, "SELECT count(*) || ':' || coalesce(md5(string_agg(oid::text || '='"
        + " || md5(lo_get(oid)), ',' ORDER BY oid)), '') FROM pg_largeobject_metadata");
  }

  /** The normalised {@code pg_dump --schema-only} of a database. */
  public static String schemaDump(PostgresServer server, String database, Path pgDump) throws IOException {
    Path passfile = Files.createTempFile("b4j-fp", ".pgpass",
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(passfile, "*:*:*:*:" + server.password().replace("\\", "\\\\").replace(":", "\\:") + "\n");
      ProcessBuilder pb = new ProcessBuilder(List.of(pgDump.toString(), "--schema-only", "--no-password",
          "--host=" + server.host(), "--port=" + server.port(), "--username=" + server.user(),
          "--dbname=" + database));
      pb.environment().remove("PGPASSWORD");
      pb.environment().put("PGPASSFILE", passfile.toString());
      pb.redirectErrorStream(true);
      Process p = pb.start();
      p.getOutputStream().close();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (InputStream in = p.getInputStream()) {
        in.transferTo(out);
      }
      try {
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
          p.destroyForcibly();
          throw new IOException("pg_dump --schema-only failed: " + out.toString(StandardCharsets.UTF_8));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
        throw new IOException("interrupted", e);
      }
      return normalise(out.toString(StandardCharsets.UTF_8), database);
    } finally {
      Files.deleteIfExists(passfile);
    }
  }

  /** Removes what legitimately differs between two dumps of equal databases. */
  static String normalise(String dump, String database) {
    String s = RESTRICT.matcher(dump).replaceAll("");
    StringBuilder b = new StringBuilder();
    for (String line : s.split("\n")) {
      if (line.isBlank() || line.startsWith("--")) {
        continue;
      }
      b.append(line.replace(EmbeddedPostgresServer.quoteIdent(database), "<db>")).append('\n');
    }
    return b.toString();
  }
}
