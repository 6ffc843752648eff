package io.backup4j.testkit.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Installs a schema that uses most kinds of PostgreSQL objects into an empty database: several schemas (one with a
 * mixed-case unicode name), an enum, domains, a composite type, sequences, identity and generated columns, a
 * partitioned table, inheritance, a view, a materialized view, functions, a trigger, check/unique/foreign-key/exclusion
 * constraints, partial, expression and GIN indexes, comments, an extension when the server has one, large objects,
 * {@code bytea}, {@code jsonb}, arrays, NULLs, unicode text, and one big table {@code app.measurements} of
 * deterministic, roughly 2x-compressible rows.
 */
public final class RichSchema {
  /** The big table's qualified name. */
  public static final String BIG_TABLE = "app.measurements";

  private RichSchema() {}

  /**
   * Installs the schema and data into {@code database}.
   *
   * @param bigTableRows rows to generate in {@link #BIG_TABLE}
   * @return the extensions that were installed (may be empty when the server ships none)
   */
  public static List<String> install(PostgresServer server, String database, long bigTableRows)
      throws SQLException, IOException {
    String sql;
    try (InputStream in = RichSchema.class.getResourceAsStream("rich-schema.sql")) {
      if (in == null) {
        throw new IOException("rich-schema.sql missing from the testkit jar");
      }
      sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    List<String> installed = new ArrayList<>();
    try (Connection c = server.connect(database); Statement st = c.createStatement()) {
      st.execute(sql);
      // an extension, if the binaries ship one (the embedded binaries usually have the contrib modules)
      for (String ext : List.of("citext", "pgcrypto")) {
        boolean available;
        try (ResultSet rs = st.executeQuery(
            "SELECT count(*) FROM pg_available_extensions WHERE name = '" + ext + "'")) {
          rs.next();
          available = rs.getInt(1) > 0;
        }
        if (available) {
          st.execute("CREATE EXTENSION " + ext + " SCHEMA public");
          installed.add(ext);
        }
      }
      if (installed.contains("citext")) {
        st.execute("CREATE TABLE app.tags (name public.citext PRIMARY KEY)");
        st.execute("INSERT INTO app.tags VALUES ('Alpha'), ('béta'), ('GAMMA')");
      }
      st.execute("CREATE TABLE " + BIG_TABLE + " (id bigint PRIMARY KEY, device text NOT NULL,"
          + " taken timestamptz NOT NULL, reading double precision, payload text)");
      // md5 hex text is about 2x compressible, like typical application rows (unlike pgbench's blank padding)
      st.execute("INSERT INTO " + BIG_TABLE + " SELECT i, 'device-' || (i % 1000),"
          + " timestamptz '2024-01-01 00:00:00+00' + i * interval '1 second',"
          + " CASE WHEN i % 13 = 0 THEN NULL ELSE (i % 10007) / 7.0 END,"
          + " md5(i::text) || ' ' || substr(md5((i / 3)::text), 1, 16)"
          + " FROM generate_series(1, " + bigTableRows + ") AS i");
      st.execute("ANALYZE");
    }
    return installed;
  }
}
