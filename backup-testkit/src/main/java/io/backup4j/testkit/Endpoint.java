package io.backup4j.testkit;

import java.net.URI;
import java.util.Objects;

/**
 * A running test server as seen by a client: where it listens and how to stop it, whether it is an embedded process
 * or a Docker container.
 *
 * @param kind {@code embedded} or {@code container}, for log lines and assertions
 * @param host the host to connect to
 * @param port the TCP port to connect to (the mapped port for a container)
 * @param uri the server's URI without credentials, e.g. {@code redis://127.0.0.1:6379} or {@code http://…:9000}
 * @param closer stops the server; called by {@link #close()}
 */
public record Endpoint(String kind, String host, int port, URI uri, AutoCloseable closer) implements AutoCloseable {
  /** Checks the components are present. */
  public Endpoint {
    Objects.requireNonNull(kind, "kind is null");
    Objects.requireNonNull(host, "host is null");
    Objects.requireNonNull(uri, "uri is null");
    Objects.requireNonNull(closer, "closer is null");
  }

  /** Whether the server runs in a Docker container. */
  public boolean container() {
    return kind.equals("container");
  }

  /** Stops the server. */
  @Override
  public void close() throws Exception {
    closer.close();
  }

  @Override
  public String toString() {
    return "Endpoint[" + kind + " " + uri + "]";
  }
}
