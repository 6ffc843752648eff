package io.backup4j.testkit.postgres;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.jspecify.annotations.Nullable;

/**
 * A running PostgreSQL server for tests, reachable over TCP as the superuser {@code postgres} with password
 * authentication: an {@link EmbeddedPostgresServer} or a {@link ContainerPostgresServer}. Start one with
 * {@link PostgresServers#start(int)}, which picks the kind for this machine; closing it stops the server and
 * discards its data.
 */
public interface PostgresServer extends AutoCloseable {
  /** The superuser tests connect as. */
  default String user() {
    return "postgres";
  }

  /** The host to connect to. */
  String host();

  /** The server's TCP port (for a container: the port mapped on the host). */
  int port();

  /** The superuser's password. */
  String password();

  /** The server's major version (14, 15, 17...). */
  int majorVersion();

  /** The server's full version string, e.g. {@code 14.22}. */
  String serverVersion();

  /** A libpq URI for a database, with the password in it: {@code postgres://postgres:pw@host:port/db}. */
  default String uri(String database) {
    return "postgres://" + user() + ":" + URLEncoder.encode(password(), StandardCharsets.UTF_8).replace("+", "%20")
        + "@" + host() + ":" + port() + "/" + URLEncoder.encode(database, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** A libpq URI for a database without a password: {@code postgres://postgres@host:port/db}. */
  default String uriWithoutPassword(String database) {
    return "postgres://" + user() + "@" + host() + ":" + port() + "/"
        + URLEncoder.encode(database, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** A JDBC URL for a database (no credentials in it). */
  default String jdbcUrl(String database) {
    return "jdbc:postgresql://" + host() + ":" + port() + "/" + database;
  }

  /** A new JDBC connection to a database as the superuser. The caller closes it. */
  default Connection connect(String database) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user());
    p.setProperty("password", password());
    return DriverManager.getConnection(jdbcUrl(database), p);
  }

  /** Creates a database ({@code TEMPLATE template0}, like a restore target should be). */
  default void createDatabase(String name) throws SQLException {
    execute("postgres", "CREATE DATABASE " + EmbeddedPostgresServer.quoteIdent(name) + " TEMPLATE template0");
  }

  /** Drops a database if it exists, terminating its connections first. */
  default void dropDatabase(String name) throws SQLException {
    execute("postgres", "DROP DATABASE IF EXISTS " + EmbeddedPostgresServer.quoteIdent(name) + " WITH (FORCE)");
  }

  /** Whether a database exists. */
  default boolean databaseExists(String name) throws SQLException {
    try (Connection c = connect("postgres");
        var ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** Runs SQL (one or more statements, no result) in a database, autocommit. */
  default void execute(String database, String sql) throws SQLException {
    try (Connection c = connect(database); Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  /** Runs a query returning a single value, as text ({@code null} for SQL NULL). */
  default @Nullable String queryValue(String database, String sql) throws SQLException {
    try (Connection c = connect(database); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      if (!rs.next()) {
        throw new SQLException("query returned no row: " + sql);
      }
      return rs.getString(1);
    }
  }

  /** Stops the server and discards its data. Idempotent. */
  @Override
  void close() throws IOException;
}
