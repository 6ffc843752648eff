package io.backup4j.testkit.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InProcessS3Test {
  @TempDir Path dir;

  @Test
  void serverAnswersOnALoopbackPortAndRefusesUnsignedRequestsUntilClosed() throws IOException {
    URI endpoint;
    try (InProcessS3 s3 = InProcessS3.start()) {
      endpoint = s3.endpoint();
      assertThat(endpoint.getHost()).isEqualTo("127.0.0.1");
      assertThat(endpoint.getPort()).isPositive();
      s3.createBucket("fixture").createBucket("fixture");
      assertThat(s3.uri("fixture", "repo")).startsWith("s3://fixture/repo?endpoint=")
          .contains("pathStyle=true", "checksums=when_required").doesNotContain(s3.secretKey());
      assertThat(s3.options()).containsEntry("accessKey", s3.accessKey()).containsEntry("secretKey", s3.secretKey());
      assertThat(s3.toString()).doesNotContain(s3.secretKey());
      HttpURLConnection c = (HttpURLConnection) endpoint.resolve("/fixture").toURL().openConnection();
      assertThat(c.getResponseCode()).as("unsigned request").isEqualTo(403);
      c.disconnect();
      s3.close();
      s3.close();
    }
    assertThatThrownBy(() -> ((HttpURLConnection) endpoint.toURL().openConnection()).getResponseCode())
        .isInstanceOf(IOException.class);
  }

  @Test
  void filesystemServerCreatesItsDirectory() {
    try (InProcessS3 s3 = InProcessS3.start(dir.resolve("not/yet/there"))) {
      s3.createBucket("fixture");
      assertThat(dir.resolve("not/yet/there")).isDirectory();
    }
  }
}
