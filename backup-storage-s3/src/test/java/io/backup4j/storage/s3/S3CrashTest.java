package io.backup4j.storage.s3;

import static io.backup4j.storage.s3.S3TestSupport.builder;
import static io.backup4j.storage.s3.S3TestSupport.rawClient;
import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.testkit.s3.InProcessS3;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A writer killed with SIGKILL in the middle of a multipart upload: nothing becomes visible, and the upload it could
 * not abort is found and aborted by {@link S3Sink#cleanup(Duration)}.
 */
class S3CrashTest {
  @AutoClose static final InProcessS3 S3 = InProcessS3.start();

  @TempDir Path dir;

  @Test
  void writerKilledMidUploadLeavesNothingVisibleAndCleanupAbortsItsUpload() throws Exception {
    S3.createBucket("crash");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
        KilledWriterMain.class.getName(), "crash", "repo", dir.toString())).redirectErrorStream(true);
    pb.environment().put("TEST_S3_ENDPOINT", S3.endpoint().toString());
    pb.environment().put("TEST_S3_ACCESS_KEY", S3.accessKey());
    pb.environment().put("TEST_S3_SECRET_KEY", S3.secretKey());
    Process child = pb.start();
    try (S3Client raw = rawClient(S3)) {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        int progress = 0;
        while ((line = out.readLine()) != null && progress < 2) {
          if (line.startsWith("written")) {
            progress++;
          }
        }
        assertThat(progress).as("the child wrote past two parts before being killed").isEqualTo(2);
        // parts go up in the background: wait until the server has one before killing
        for (int i = 0; i < 200 && raw.listMultipartUploads(b -> b.bucket("crash")).uploads().isEmpty(); i++) {
          Thread.sleep(50);
        }
        child.destroyForcibly(); // SIGKILL: no close(), no abort
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }
      assertThat(child.exitValue()).isEqualTo(137);

      assertThat(raw.listObjectsV2(b -> b.bucket("crash")).contents()).as("no object is visible").isEmpty();
      assertThat(raw.listMultipartUploads(b -> b.bucket("crash")).uploads()).as("the killed upload is left").hasSize(1);
      try (S3Sink sink = builder(S3, "crash", "repo").build()) {
        assertThat(sink.stat("data/b1/killed")).isEmpty();
        assertThat(sink.cleanup(Duration.ofHours(24))).as("a recent upload may still be running").isZero();
      }
      // the next backup's sink, opened with cleanupAfter, aborts the upload once it is older than that
      Instant initiated = raw.listMultipartUploads(b -> b.bucket("crash")).uploads().get(0).initiated();
      while (Instant.now().isBefore(initiated.plusSeconds(2))) {
        Thread.sleep(100);
      }
      try (S3Sink sink = builder(S3, "crash", "repo").cleanupAfter(Duration.ofSeconds(1)).build()) {
        assertThat(raw.listMultipartUploads(b -> b.bucket("crash")).uploads()).isEmpty();
        assertThat(sink.list("")).isEmpty();
      }
    } finally {
      child.destroyForcibly();
    }
  }
}
