package io.backup4j.testkit.redis;

import io.backup4j.testkit.Docker;
import io.backup4j.testkit.Endpoint;
import java.net.URI;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Starts the Redis server tests should use on this machine: a {@code redis:7.0} Docker container where
 * {@link Docker#useContainers(String)} says so, the embedded Redis of {@link RedisFixture#embedded()} otherwise.
 * Both run with {@code repl-diskless-sync-delay 0} and no password.
 *
 * <p>The result is an {@link Endpoint} (host, port, {@code redis://} URI, close) rather than a {@link RedisFixture}:
 * tests that need the fixture's extras (its data directory, log, TLS, a specific {@code redis.conf}) keep using
 * {@link RedisFixture} directly.
 */
public final class RedisServers {
  /** The image the container path runs. */
  public static final String IMAGE = "redis:7.0";

  private static final System.Logger LOG = System.getLogger(RedisServers.class.getName());

  private RedisServers() {}

  /**
   * Starts a server; the caller closes the endpoint.
   *
   * @throws IllegalStateException in mode {@code always} without Docker
   */
  public static Endpoint start() {
    if (Docker.useContainers("Redis")) {
      LOG.log(System.Logger.Level.INFO, "Redis fixture: Docker container {0}", IMAGE);
      return Containers.start();
    }
    LOG.log(System.Logger.Level.INFO, "Redis fixture: embedded redis-server ({0}={1})", Docker.MODE_PROPERTY,
        Docker.mode());
    RedisFixture f = RedisFixture.embedded().start();
    return new Endpoint("embedded", f.host(), f.port(), URI.create(f.uri()), f);
  }

  // A nested class so RedisServers links against Testcontainers only on the container path.
  private static final class Containers {
    @SuppressWarnings("resource") // owned by the returned endpoint, or stopped on failure
    static Endpoint start() {
      GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(IMAGE))
          .withExposedPorts(6379)
          .withCommand("redis-server", "--save", "", "--appendonly", "no", "--repl-diskless-sync-delay", "0")
          .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*\\n", 1));
      c.start();
      try {
        String host = c.getHost();
        int port = c.getMappedPort(6379);
        return new Endpoint("container", host, port, URI.create("redis://" + host + ":" + port), c::stop);
      } catch (RuntimeException e) {
        c.stop();
        throw e;
      }
    }
  }
}
