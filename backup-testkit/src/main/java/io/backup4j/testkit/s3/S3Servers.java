package io.backup4j.testkit.s3;

import io.backup4j.testkit.Docker;
import io.backup4j.testkit.Endpoint;
import java.net.URI;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Starts the S3 server tests should use on this machine: a MinIO Docker container where
 * {@link Docker#useContainers(String)} says so, the in-process s3proxy of {@link InProcessS3} otherwise.
 */
public final class S3Servers {
  /** The image the container path runs. */
  public static final String IMAGE = "minio/minio";

  private static final System.Logger LOG = System.getLogger(S3Servers.class.getName());

  private S3Servers() {}

  /**
   * A running S3 server: its endpoint and the credentials it accepts (random test values, not real credentials).
   *
   * @param endpoint where the server listens, with its {@code http://host:port} URI; closing it stops the server
   * @param accessKey the access key the server accepts
   * @param secretKey the secret key the server accepts
   */
  public record S3Server(Endpoint endpoint, String accessKey, String secretKey) implements AutoCloseable {
    /** Checks the components are present. */
    public S3Server {
      Objects.requireNonNull(endpoint, "endpoint is null");
      Objects.requireNonNull(accessKey, "accessKey is null");
      Objects.requireNonNull(secretKey, "secretKey is null");
    }

    /** The server's base URI, e.g. {@code http://127.0.0.1:9000}. */
    public URI uri() {
      return endpoint.uri();
    }

    /** Stops the server. */
    @Override
    public void close() throws Exception {
      endpoint.close();
    }

    @Override
    public String toString() {
      return "S3Server[" + endpoint + "]"; // no keys
    }
  }

  /**
   * Starts a server; the caller closes it. Buckets are created by the test (the s3 sink or an S3 client).
   *
   * @throws IllegalStateException in mode {@code always} without Docker
   */
  public static S3Server start() {
    if (Docker.useContainers("S3")) {
      LOG.log(System.Logger.Level.INFO, "S3 fixture: Docker container {0}", IMAGE);
      return Containers.start();
    }
    LOG.log(System.Logger.Level.INFO, "S3 fixture: in-process s3proxy ({0}={1})", Docker.MODE_PROPERTY,
        Docker.mode());
    InProcessS3 s3 = InProcessS3.start();
    URI uri = s3.endpoint();
    return new S3Server(new Endpoint("embedded", uri.getHost(), uri.getPort(), uri, s3), s3.accessKey(),
        s3.secretKey());
  }

  // A nested class so S3Servers links against Testcontainers only on the container path.
  private static final class Containers {
    @SuppressWarnings("resource") // owned by the returned endpoint, or stopped on failure
    static S3Server start() {
      SecureRandom random = new SecureRandom();
      byte[] a = new byte[6];
      byte[] s = new byte[16];
      random.nextBytes(a);
      random.nextBytes(s);
      String accessKey = "b4j" + HexFormat.of().formatHex(a);
      String secretKey = HexFormat.of().formatHex(s); // MinIO wants at least 8 characters
      GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(IMAGE))
          .withExposedPorts(9000)
          .withEnv("MINIO_ROOT_USER", accessKey)
          .withEnv("MINIO_ROOT_PASSWORD", secretKey)
          .withCommand("server", "/data")
          .waitingFor(Wait.forHttp("/minio/health/live").forPort(9000));
      c.start();
      try {
        String host = c.getHost();
        int port = c.getMappedPort(9000);
        URI uri = URI.create("http://" + host + ":" + port);
        return new S3Server(new Endpoint("container", host, port, uri, c::stop), accessKey, secretKey);
      } catch (RuntimeException e) {
        c.stop();
        throw e;
      }
    }
  }
}
