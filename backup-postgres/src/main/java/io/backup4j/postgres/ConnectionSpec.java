package io.backup4j.postgres;

import io.backup4j.api.ConfigurationException;
import io.backup4j.api.Redaction;
import io.backup4j.api.Secret;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Where and as whom to connect, parsed from a libpq URI ({@code postgres://user:pw@host:port/db?sslmode=require}) or
 * a JDBC URL ({@code jdbc:postgresql://host:port/db?user=u&password=p}). The password is held as a {@link Secret};
 * {@link #toString()} and {@link #redacted()} never show it.
 *
 * @param host host name or address (IPv6 without brackets)
 * @param port TCP port
 * @param database database name
 * @param user role name, or {@code null} for libpq's default (the OS user)
 * @param password the password, or {@code null} to leave it to libpq ({@code PGPASSWORD}, {@code ~/.pgpass})
 * @param parameters libpq connection parameters by libpq name (sslmode, sslrootcert, connect_timeout, ...)
 */
record ConnectionSpec(
    String host, int port, String database, @Nullable String user, @Nullable Secret password,
    Map<String, String> parameters) {

  static final int DEFAULT_PORT = 5432;

  /** libpq parameter name → environment variable read by libpq (pg_dump, pg_restore, psql). */
  private static final Map<String, String> LIBPQ_ENV = Map.of(
      "sslmode", "PGSSLMODE",
      "sslrootcert", "PGSSLROOTCERT",
      "sslcert", "PGSSLCERT",
      "sslkey", "PGSSLKEY",
      "sslcrl", "PGSSLCRL",
      "connect_timeout", "PGCONNECT_TIMEOUT",
      "application_name", "PGAPPNAME",
      "options", "PGOPTIONS",
      "target_session_attrs", "PGTARGETSESSIONATTRS");

  /** JDBC parameter names accepted in a {@code jdbc:postgresql:} URL, mapped to their libpq names. */
  private static final Map<String, String> JDBC_ALIASES = Map.of(
      "connecttimeout", "connect_timeout",
      "applicationname", "application_name",
      "targetservertype", "target_session_attrs");

  ConnectionSpec {
    Objects.requireNonNull(host, "host is null");
    Objects.requireNonNull(database, "database is null");
    parameters = Map.copyOf(parameters);
  }

  /**
   * Parses a {@code postgres://}, {@code postgresql://} or {@code jdbc:postgresql://} location.
   *
   * @throws ConfigurationException naming the problem (the message is redacted)
   */
  static ConnectionSpec parse(String location) {
    String text = location.trim();
    boolean jdbc = false;
    if (text.regionMatches(true, 0, "jdbc:", 0, 5)) {
      if (!text.regionMatches(true, 5, "postgresql:", 0, 11)) {
        throw new ConfigurationException("unsupported JDBC URL '" + Redaction.redact(text)
            + "': only jdbc:postgresql://host:port/database is accepted");
      }
      text = "postgresql:" + text.substring(16);
      jdbc = true;
    }
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new ConfigurationException("invalid PostgreSQL URI '" + Redaction.redact(location)
          + "': expected postgres://user@host:port/database (percent-encode special characters)");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("postgres") && !scheme.equals("postgresql")) {
      throw new ConfigurationException("invalid PostgreSQL URI '" + Redaction.redact(location)
          + "': the scheme must be postgres, postgresql or jdbc:postgresql");
    }
    if (uri.isOpaque() || uri.getRawAuthority() == null) {
      throw new ConfigurationException("invalid PostgreSQL URI '" + Redaction.redact(location)
          + "': expected postgres://host:port/database (a host is required; Unix sockets are not supported)");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new ConfigurationException("invalid PostgreSQL URI '" + Redaction.redact(location)
          + "': no host (multi-host lists and Unix sockets are not supported)");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort();
    String user = null;
    Secret password = null;
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null && !userInfo.isEmpty()) {
      int colon = userInfo.indexOf(':');
      user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
      if (colon >= 0) {
        password = Secret.of(decode(userInfo.substring(colon + 1)));
      }
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    String database = path.startsWith("/") ? decode(path.substring(1)) : decode(path);
    Map<String, String> params = new TreeMap<>();
    String query = uri.getRawQuery();
    if (query != null && !query.isEmpty()) {
      for (String pair : query.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name = decode(eq < 0 ? pair : pair.substring(0, eq));
        String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
        String key = name;
        if (jdbc) {
          key = JDBC_ALIASES.getOrDefault(name.toLowerCase(Locale.ROOT), name);
          if (key.equals("ssl")) {
            if (value.equalsIgnoreCase("true") && !params.containsKey("sslmode")) {
              params.put("sslmode", "verify-full");
            }
            continue;
          }
        }
        switch (key) {
          case "user" -> user = value;
          case "password" -> password = Secret.of(value);
          case "dbname" -> database = value;
          case "port" -> port = parsePort(value, location);
          case "host" -> throw new ConfigurationException("the host parameter is not supported in '"
              + Redaction.redact(location) + "': put the host in the URI's authority");
          default -> {
            if (!LIBPQ_ENV.containsKey(key)) {
              throw new ConfigurationException("unknown connection parameter '" + name + "' in '"
                  + Redaction.redact(location) + "'; supported: user, password, dbname, port, "
                  + String.join(", ", new TreeMap<>(LIBPQ_ENV).keySet()));
            }
            params.put(key, value);
          }
        }
      }
    }
    if (database.isEmpty()) {
      throw new ConfigurationException("no database in '" + Redaction.redact(location)
          + "': use postgres://host:port/database");
    }
    return new ConnectionSpec(host, port, database, user, password, params);
  }

  private static int parsePort(String value, String location) {
    try {
      int p = Integer.parseInt(value);
      if (p > 0 && p < 65536) {
        return p;
      }
    } catch (NumberFormatException ignored) {
      // fall through to the error below
    }
    throw new ConfigurationException("invalid port '" + value + "' in '" + Redaction.redact(location) + "'");
  }

  private static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  ConnectionSpec withPassword(@Nullable Secret newPassword) {
    return new ConnectionSpec(host, port, database, user, newPassword, parameters);
  }

  ConnectionSpec withDatabase(String newDatabase) {
    return new ConnectionSpec(host, port, newDatabase, user, password, parameters);
  }

  ConnectionSpec withUser(@Nullable String newUser) {
    return new ConnectionSpec(host, port, database, newUser, password, parameters);
  }

  /** The location without the password: {@code postgres://user@host:port/db}. */
  String redacted() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return "postgres://" + (user == null ? "" : user + "@") + h + ":" + port + "/" + database;
  }

  /** The JDBC URL (no credentials, no parameters; they go into {@link #jdbcProperties()}). */
  String jdbcUrl() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return "jdbc:postgresql://" + h + ":" + port + "/"
        + java.net.URLEncoder.encode(database, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Connection properties for the JDBC driver, including the password if known. */
  Properties jdbcProperties() {
    Properties p = new Properties();
    if (user != null) {
      p.setProperty("user", user);
    }
    if (password != null) {
      p.setProperty("password", new String(password.reveal()));
    }
    p.setProperty("connectTimeout", parameters.getOrDefault("connect_timeout", "10"));
    p.setProperty("ApplicationName", parameters.getOrDefault("application_name", "backup4j"));
    for (String k : new String[] {"sslmode", "sslrootcert", "sslcert", "sslkey", "options"}) {
      String v = parameters.get(k);
      if (v != null) {
        p.setProperty(k, v);
      }
    }
    if (parameters.containsKey("target_session_attrs")) {
      p.setProperty("targetServerType", parameters.get("target_session_attrs"));
    }
    return p;
  }

  /**
   * The environment for a libpq client (pg_dump, pg_restore, psql) connecting to this database. The password is
   * not in it: the caller passes it through a private {@code PGPASSFILE}.
   */
  Map<String, String> libpqEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PGHOST", host);
    env.put("PGPORT", Integer.toString(port));
    env.put("PGDATABASE", database);
    if (user != null) {
      env.put("PGUSER", user);
    }
    env.put("PGCONNECT_TIMEOUT", parameters.getOrDefault("connect_timeout", "10"));
    env.put("PGAPPNAME", parameters.getOrDefault("application_name", "backup4j"));
    parameters.forEach((k, v) -> {
      String var = LIBPQ_ENV.get(k);
      if (var != null) {
        env.put(var, v);
      }
    });
    return env;
  }

  /** A libpq connection string naming only the database, quoted so any name is taken literally. */
  String dbnameConninfo() {
    return dbnameConninfo(database);
  }

  static String dbnameConninfo(String db) {
    return "dbname='" + db.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  @Override
  public String toString() {
    return "ConnectionSpec[" + redacted() + "]";
  }
}
