package io.backup4j.storage.s3;

import io.backup4j.api.PartWriter;
import io.backup4j.api.Secret;
import io.backup4j.api.WriteMode;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Run in a child JVM by {@link S3CrashTest}: writes an endless object to the S3 server given by the environment
 * (credentials never on the command line), printing a line after each part has gone up, until it is killed.
 */
public final class KilledWriterMain {
  private KilledWriterMain() {}

  public static void main(String[] args) throws Exception {
    String endpoint = System.getenv("TEST_S3_ENDPOINT");
    try (S3Sink sink = S3Sink.builder(args[0]).prefix(args[1]).endpoint(URI.create(endpoint)).region("us-east-1")
        .pathStyle(true).checksums(S3Sink.ChecksumMode.WHEN_REQUIRED).partSize(5 << 20)
        .credentials(System.getenv("TEST_S3_ACCESS_KEY"), Secret.of(System.getenv("TEST_S3_SECRET_KEY")))
        .retryBackoff(Duration.ofMillis(5), Duration.ofMillis(50)).temporaryDirectory(Path.of(args[2])).build();
        PartWriter w = sink.openWrite("data/b1/killed", WriteMode.OVERWRITE)) {
      OutputStream out = w.stream();
      byte[] chunk = new byte[1 << 20];
      for (long mib = 1; ; mib++) {
        out.write(chunk);
        if (mib % 6 == 0) {
          System.out.println("written " + mib + " MiB");
          System.out.flush();
        }
      }
    }
  }
}
