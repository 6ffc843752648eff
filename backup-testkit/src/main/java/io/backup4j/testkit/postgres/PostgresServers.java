package io.backup4j.testkit.postgres;

import io.backup4j.testkit.Docker;
import java.io.IOException;

/**
 * Starts the PostgreSQL server tests should use on this machine: a {@link ContainerPostgresServer} where
 * {@link Docker#useContainers(String)} says so (Docker available and {@value Docker#MODE_PROPERTY} not
 * {@code never}), an {@link EmbeddedPostgresServer} otherwise.
 */
public final class PostgresServers {
  private static final System.Logger LOG = System.getLogger(PostgresServers.class.getName());

  private PostgresServers() {}

  /**
   * Starts a server of this major version; the caller closes it.
   *
   * @throws IllegalStateException in mode {@code always} without Docker, or embedded without binaries for the major
   *     (check {@link EmbeddedPostgresServer#binariesAvailable(int)})
   */
  public static PostgresServer start(int major) throws IOException {
    if (Docker.useContainers("PostgreSQL " + major)) {
      LOG.log(System.Logger.Level.INFO, "PostgreSQL {0} fixture: Docker container postgres:{0}", major);
      return ContainerPostgresServer.start(major);
    }
    LOG.log(System.Logger.Level.INFO, "PostgreSQL {0} fixture: embedded server ({1}={2}, Docker available: {3})",
        major, Docker.MODE_PROPERTY, Docker.mode(), Docker.mode() == Docker.Mode.NEVER ? "not checked" : "no");
    return EmbeddedPostgresServer.builder().majorVersion(major).start();
  }
}
