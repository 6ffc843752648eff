package io.backup4j.testkit.postgres;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * A PostgreSQL server in a Docker container (Testcontainers, official image {@code postgres:<major>}), with the
 * image's password (SCRAM) authentication for TCP connections. Needs a Docker engine and
 * {@code org.testcontainers:postgresql} on the class path; {@link PostgresServers#start(int)} only chooses it when
 * {@link io.backup4j.testkit.Docker#available()} says so. Closing it stops and removes the container.
 */
public final class ContainerPostgresServer implements PostgresServer {
  private final PostgreSQLContainer<?> container;
  private final String password;
  private final int serverVersionNum;
  private final String serverVersion;
  private volatile boolean closed;

  private ContainerPostgresServer(PostgreSQLContainer<?> container, String password) throws SQLException {
    this.container = container;
    this.password = password;
    try (Connection c = connect("postgres");
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT current_setting('server_version_num')::int, current_setting('server_version')")) {
      rs.next();
      this.serverVersionNum = rs.getInt(1);
      this.serverVersion = rs.getString(2);
    }
  }

  /**
   * Starts {@code postgres:<major>} with the superuser password {@link EmbeddedPostgresServer#DEFAULT_PASSWORD}.
   *
   * @throws IllegalStateException if the container does not start (no Docker, image not pullable...)
   */
  public static ContainerPostgresServer start(int major) throws IOException {
    return start(major, EmbeddedPostgresServer.DEFAULT_PASSWORD);
  }

  /**
   * Starts {@code postgres:<major>} with this superuser password.
   *
   * @throws IllegalStateException if the container does not start (no Docker, image not pullable...)
   */
  @SuppressWarnings("resource") // the container is owned by the returned server, or stopped on failure
  public static ContainerPostgresServer start(int major, String password) throws IOException {
    Objects.requireNonNull(password, "password is null");
    if (major < 9) {
      throw new IllegalArgumentException("not a PostgreSQL major version: " + major);
    }
    PostgreSQLContainer<?> c = new PostgreSQLContainer<>(
        DockerImageName.parse("postgres:" + major))
        .withUsername("postgres")
        .withPassword(password)
        .withDatabaseName("postgres")
        // same small footprint and durability trade-offs as the embedded server: tests only
        .withCommand("postgres", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            "-c", "max_connections=40", "-c", "shared_buffers=32MB");
    c.start();
    try {
      return new ContainerPostgresServer(c, password);
    } catch (SQLException | RuntimeException e) {
      c.stop();
      throw new IOException("could not connect to the PostgreSQL " + major + " container", e);
    }
  }

  @Override
  public String host() {
    return container.getHost();
  }

  @Override
  public int port() {
    return container.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT);
  }

  @Override
  public String password() {
    return password;
  }

  @Override
  public int majorVersion() {
    return serverVersionNum / 10000;
  }

  @Override
  public String serverVersion() {
    return serverVersion;
  }

  /** The image the container runs, e.g. {@code postgres:14}. */
  public String image() {
    return container.getDockerImageName();
  }

  /** Stops and removes the container. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    container.stop();
  }

  @Override
  public String toString() {
    return "ContainerPostgresServer[" + serverVersion + " in " + container.getDockerImageName() + "]";
  }
}
