package io.backup4j.testkit.s3;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;

/**
 * An S3-compatible server running inside the test JVM on a free loopback port, closed with {@link #close()} (or by
 * JUnit when held in a field annotated {@code @AutoClose}).
 *
 * <pre>{@code
 * @AutoClose static final InProcessS3 S3 = InProcessS3.start();
 *
 * @Test void backsUpToS3() {
 *   S3.createBucket("backups");
 *   Backups.Builder b = Backups.builder().repository(S3.uri("backups", "prod"));
 *   S3.options().forEach(b::repositoryOption);
 *   try (Backups backups = b.build()) { ... }
 * }
 * }</pre>
 *
 * <p>The server checks AWS signatures (V2 or V4) with a random access key and secret key generated per instance, so
 * tests exercise the real signing path. It is started with {@code ignoreUnknownHeaders(true)}, which s3proxy needs for
 * {@code DeleteObjects} and multipart uploads sent by recent AWS SDKs. Clients must use path-style addressing and,
 * for SDK 2.30 and later, {@code checksums=when_required}: {@link #uri(String, String)} includes both.
 */
public final class InProcessS3 implements AutoCloseable {
  /** The region clients should sign for; s3proxy accepts any, but the SDK needs one. */
  public static final String REGION = "us-east-1";

  private final S3Proxy proxy;
  private final BlobStore blobStore;
  private final URI endpoint;
  private final String accessKey;
  private final String secretKey;
  private boolean closed;

  private InProcessS3(BlobStore blobStore) throws Exception {
    this.blobStore = blobStore;
    SecureRandom random = new SecureRandom();
    this.accessKey = "test" + hex(random, 8);
    this.secretKey = hex(random, 20);
    this.proxy = S3Proxy.builder()
        .blobStore(blobStore)
        .endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
        .ignoreUnknownHeaders(true)
        .build();
    proxy.start();
    // start() returns once Jetty is bound; the port is the one the kernel chose for port 0
    this.endpoint = URI.create("http://127.0.0.1:" + proxy.getPort());
  }

  /** Starts a server that keeps objects in memory. */
  public static InProcessS3 start() {
    try {
      return new InProcessS3(new TransientNio2BlobStore());
    } catch (Exception e) {
      throw new IllegalStateException("could not start the in-process S3 server (s3proxy): " + e, e);
    }
  }

  /**
   * Starts a server that keeps objects as files under {@code directory} (for objects too large for the heap). Keys
   * whose last segment approaches 255 bytes fail there (s3proxy's temporary file names exceed the file name limit).
   */
  public static InProcessS3 start(Path directory) {
    Objects.requireNonNull(directory, "directory is null");
    try {
      java.nio.file.Files.createDirectories(directory);
      return new InProcessS3(new FilesystemNio2BlobStore(directory.toAbsolutePath().toString()));
    } catch (Exception e) {
      throw new IllegalStateException("could not start the in-process S3 server (s3proxy): " + e, e);
    }
  }

  /** The server's base URI, e.g. {@code http://127.0.0.1:38211}. */
  public URI endpoint() {
    return endpoint;
  }

  /** The access key the server accepts. */
  public String accessKey() {
    return accessKey;
  }

  /** The secret key the server accepts (a random test value, not a real credential). */
  public String secretKey() {
    return secretKey;
  }

  /** Creates a bucket; does nothing if it exists. */
  public InProcessS3 createBucket(String bucket) {
    if (!blobStore.containerExists(bucket)) {
      blobStore.createContainer(bucket);
    }
    return this;
  }

  /**
   * A repository URI for the {@code s3} sink: {@code s3://bucket/prefix?endpoint=…&pathStyle=true&…}, without
   * credentials (pass {@link #options()} with it).
   */
  public String uri(String bucket, String prefix) {
    String path = prefix.isEmpty() ? "" : "/" + prefix;
    return "s3://" + bucket + path + "?endpoint=" + URLEncoder.encode(endpoint.toString(), StandardCharsets.UTF_8)
        + "&region=" + REGION + "&pathStyle=true&checksums=when_required";
  }

  /** The sink options carrying this server's credentials: {@code accessKey} and {@code secretKey}. */
  public Map<String, String> options() {
    return Map.of("accessKey", accessKey, "secretKey", secretKey);
  }

  /** Stops the server. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      proxy.stop();
    } catch (Exception e) {
      throw new IllegalStateException("could not stop the in-process S3 server: " + e, e);
    } finally {
      blobStore.close();
    }
  }

  @Override
  public String toString() {
    return "InProcessS3[" + endpoint + "]";
  }

  private static String hex(SecureRandom random, int bytes) {
    byte[] b = new byte[bytes];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
