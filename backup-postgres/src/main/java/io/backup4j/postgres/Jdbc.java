package io.backup4j.postgres;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.BackupException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.SourceException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/** JDBC helpers: connecting with clear errors, server facts, and the text format of recorded row counts. */
final class Jdbc {
  private Jdbc() {}

  /** Opens a connection, turning the driver's errors into backup4j exceptions that name the problem and the fix. */
  static Connection connect(ConnectionSpec spec, @Nullable DataSource dataSource) {
    try {
      if (dataSource != null) {
        return dataSource.getConnection();
      }
      return DriverManager.getConnection(spec.jdbcUrl(), spec.jdbcProperties());
    } catch (SQLException e) {
      throw translate(e, "cannot connect to " + spec.redacted());
    }
  }

  /** Maps an SQLException to the right exception by SQLSTATE, with a redacted message. */
  static BackupException translate(SQLException e, String context) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String msg = context + ": " + io.backup4j.api.Redaction.redact(String.valueOf(e.getMessage()));
    String lower = String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT);
    if (state.equals("28P01") || state.equals("28000")
        || (state.equals("08004") && (lower.contains("password") || lower.contains("authentication")))) {
      return new AccessDeniedException(msg + " (check the user and password: URI, the password or passwordFile"
          + " option, the secret postgres.password, PGPASSWORD or ~/.pgpass)", e);
    }
    if (state.equals("3D000")) {
      return new NotFoundException(msg + " (the database does not exist)", e);
    }
    if (state.startsWith("08")) {
      return new SourceException(msg + " (is the server running and reachable? check host, port and firewall)", e);
    }
    return new SourceException(msg, e);
  }

  static String queryString(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** Quotes an SQL identifier. */
  static String quoteIdent(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  /**
   * Quotes an SQL string literal. With a backslash it uses the escape-string form, so the value is read the same
   * whatever the server's standard_conforming_strings.
   */
  static String quoteLiteral(String value) {
    String doubled = value.replace("'", "''");
    return value.indexOf('\\') >= 0 ? "E'" + doubled.replace("\\", "\\\\") + "'" : "'" + doubled + "'";
  }

  /**
   * Encodes {@code schema.table → count} as text for the manifest: one {@code schema.table=count} per line, each
   * name percent-encoded (so dots, equals signs and newlines inside identifiers stay unambiguous).
   */
  static String encodeCounts(Map<String, Long> counts) {
    StringBuilder b = new StringBuilder();
    counts.forEach((name, n) -> {
      int dot = name.indexOf('\u0000');
      String schema = name.substring(0, dot);
      String table = name.substring(dot + 1);
      b.append(enc(schema)).append('.').append(enc(table)).append('=').append(n).append('\n');
    });
    return b.toString();
  }

  /** Decodes {@link #encodeCounts}; keys are {@code schema + '\0' + table}. */
  static Map<String, Long> decodeCounts(String text) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      int eq = line.lastIndexOf('=');
      int dot = line.indexOf('.');
      out.put(dec(line.substring(0, dot)) + '\u0000' + dec(line.substring(dot + 1, eq)),
          Long.parseLong(line.substring(eq + 1)));
    }
    return out;
  }

  static String key(String schema, String table) {
    return schema + '\u0000' + table;
  }

  static String display(String key) {
    int dot = key.indexOf('\u0000');
    return key.substring(0, dot) + "." + key.substring(dot + 1);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace(".", "%2E");
  }

  private static String dec(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
