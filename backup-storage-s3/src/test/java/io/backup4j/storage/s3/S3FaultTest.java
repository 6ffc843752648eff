package io.backup4j.storage.s3;

import static io.backup4j.storage.s3.S3TestSupport.builder;
import static io.backup4j.storage.s3.S3TestSupport.digest;
import static io.backup4j.storage.s3.S3TestSupport.rawClient;
import static io.backup4j.storage.s3.S3TestSupport.writeRandom;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.PartWriter;
import io.backup4j.api.WriteMode;
import io.backup4j.storage.s3.FaultyHttpClient.BreakResponseAfter;
import io.backup4j.storage.s3.FaultyHttpClient.Error;
import io.backup4j.storage.s3.FaultyHttpClient.ResetMidBody;
import io.backup4j.testkit.s3.InProcessS3;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Faults between the sink and a real (in-process) S3 server, injected by a wrapping HTTP client: the sink must retry
 * what can be retried and, where it cannot succeed, leave neither an object nor a multipart upload behind.
 */
class S3FaultTest {
  @AutoClose static final InProcessS3 S3 = InProcessS3.start();
  static final String BUCKET = "faults";
  static final int MIB = 1 << 20;
  static int prefixes;

  @TempDir Path tmp;
  FaultyHttpClient http;
  S3Sink sink;
  S3Client raw;
  String prefix;

  @BeforeAll
  static void bucket() {
    S3.createBucket(BUCKET);
  }

  @BeforeEach
  void open() {
    http = new FaultyHttpClient();
    prefix = "f" + (++prefixes);
    sink = builder(S3, BUCKET, prefix).partSize(5 * MIB).maxParts(20).concurrency(2).maxAttempts(4)
        .httpClient(http).build();
    raw = rawClient(S3);
  }

  @AfterEach
  void close() {
    sink.close();
    http.close();
    raw.close();
  }

  private byte[] upload(String key, long size) throws IOException {
    try (PartWriter w = sink.openWrite(key, WriteMode.OVERWRITE)) {
      byte[] sha = writeRandom(w.stream(), size, size);
      w.commit();
      return sha;
    }
  }

  private byte[] download(String key) throws IOException {
    try (InputStream in = sink.openRead(key)) {
      return digest(in);
    }
  }

  private void assertNoUploadLeft() {
    assertThat(raw.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix + "/")).uploads())
        .as("multipart uploads left under the prefix").isEmpty();
  }

  @Test
  void connectionResetMidPartIsRetriedAndTheObjectIsComplete() throws IOException {
    http.rule(c -> c.operation().equals("UploadPart") && c.attempt() <= 2
        || c.operation().equals("PutObject") && c.attempt() == 1 ? new ResetMidBody() : FaultyHttpClient.PASS);
    byte[] sha = upload("data/reset", 12 * MIB);
    assertThat(download("data/reset")).isEqualTo(sha);
    byte[] small = upload("data/small", 1000);
    assertThat(download("data/small")).isEqualTo(small);
    assertThat(http.injected.get()).isEqualTo(3);
    assertNoUploadLeft();
  }

  @Test
  void retriedUploadsOfSpooledPartsLeaveNoSpoolFileOpen() throws IOException {
    // every SDK attempt asks the part for a fresh stream; a spool file stream that is never closed keeps a file
    // descriptor, and with it the deleted file's disk space, until a garbage collection happens to run
    Path proc = Path.of("/proc/self/fd");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(proc), "needs /proc/self/fd (Linux) to see open files");
    http.rule(c -> (c.operation().equals("UploadPart") || c.operation().equals("PutObject")) && c.attempt() <= 2
        ? new ResetMidBody() : FaultyHttpClient.PASS);
    try (S3Sink spooling = builder(S3, BUCKET, prefix).partSize(5 * MIB).maxParts(20).concurrency(2).maxAttempts(4)
        .memoryBuffer(MIB).temporaryDirectory(tmp).httpClient(http).build()) {
      for (String key : List.of("data/spooled-multipart", "data/spooled-single")) {
        long size = key.endsWith("multipart") ? 11 * MIB : 3 * MIB;
        byte[] sha;
        try (PartWriter w = spooling.openWrite(key, WriteMode.OVERWRITE)) {
          sha = writeRandom(w.stream(), size, 11);
          w.commit();
        }
        try (InputStream in = spooling.openRead(key)) {
          assertThat(digest(in)).isEqualTo(sha);
        }
      }
    }
    assertThat(http.injected.get()).as("faults injected").isEqualTo(4);
    assertThat(openFilesUnder(proc, tmp)).as("spool files still open").isEmpty();
    try (var left = Files.list(tmp)) {
      assertThat(left).as("spool files left").isEmpty();
    }
  }

  private static List<String> openFilesUnder(Path proc, Path dir) throws IOException {
    List<String> open = new ArrayList<>();
    try (var fds = Files.list(proc)) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith(dir.toString())) {
            open.add(target);
          }
        } catch (IOException e) {
          // the descriptor of the listing itself, or one closed meanwhile
        }
      }
    }
    return open;
  }

  @Test
  void slowDownIsRetriedWithBackoff() throws IOException {
    http.rule(c -> (c.operation().equals("UploadPart") || c.operation().equals("CreateMultipartUpload"))
        && c.attempt() <= 2 ? new Error(503, "SlowDown") : FaultyHttpClient.PASS);
    byte[] sha = upload("data/slow", 11 * MIB);
    assertThat(download("data/slow")).isEqualTo(sha);
    assertThat(http.injected.get()).isEqualTo(4);
  }

  @Test
  void persistentServerErrorOnCompleteAbortsTheUploadAndLeavesNoObject() throws IOException {
    http.rule(c -> c.operation().equals("CompleteMultipartUpload") ? new Error(500, "InternalError")
        : FaultyHttpClient.PASS);
    try (PartWriter w = sink.openWrite("data/never", WriteMode.OVERWRITE)) {
      writeRandom(w.stream(), 7 * MIB, 3);
      assertThatThrownBy(w::commit).isInstanceOf(io.backup4j.api.SinkException.class)
          .hasMessageContaining("InternalError").hasMessageContaining("data/never");
    }
    assertThat(http.attempts("CompleteMultipartUpload")).as("Complete was retried").isEqualTo(4);
    assertThat(http.attempts("AbortMultipartUpload")).isEqualTo(1);
    assertThat(sink.stat("data/never")).isEmpty();
    assertNoUploadLeft();
  }

  @Test
  void commitRetriedAfterAFailedCommitNeverPublishesWhatIsLeft() throws IOException {
    // the failed commit released the buffered bytes; a caller that tries commit() again (the server is back) must
    // not get an empty or truncated object reported as committed
    http.rule(c -> (c.operation().equals("PutObject") || c.operation().equals("CompleteMultipartUpload"))
        && c.attempt() <= 4 ? new Error(500, "InternalError") : FaultyHttpClient.PASS);
    for (long size : new long[] {1000, 7 * MIB}) {
      String key = "data/retried-" + size;
      try (PartWriter w = sink.openWrite(key, WriteMode.OVERWRITE)) {
        writeRandom(w.stream(), size, 3);
        assertThatThrownBy(w::commit).isInstanceOf(io.backup4j.api.SinkException.class);
        assertThatThrownBy(w::commit).as("second commit").isInstanceOf(IOException.class).hasMessageContaining(key);
        assertThatThrownBy(() -> w.stream().write(1)).isInstanceOf(IOException.class);
      }
      assertThat(sink.stat(key)).as("%s after the retried commit", key).isEmpty();
    }
    assertNoUploadLeft();
  }

  @Test
  void partThatKeepsFailingFailsTheWriteAndAbortsTheUpload() throws IOException {
    http.rule(c -> c.operation().equals("UploadPart") && c.request().rawQueryParameters().get("partNumber")
        .contains("2") ? new ResetMidBody() : FaultyHttpClient.PASS);
    assertThatThrownBy(() -> upload("data/broken", 16 * MIB)).isInstanceOf(IOException.class)
        .hasMessageContaining("data/broken");
    assertThat(sink.stat("data/broken")).isEmpty();
    assertNoUploadLeft();
  }

  @Test
  void readThatBreaksOffResumesFromWhereItStopped() throws IOException {
    byte[] sha = upload("data/resume", 3 * MIB + 17);
    http.rule(c -> c.operation().equals("GETObject") && c.attempt() <= 2 ? new BreakResponseAfter(MIB + 5)
        : FaultyHttpClient.PASS);
    assertThat(download("data/resume")).isEqualTo(sha);
    assertThat(http.attempts("GETObject")).isEqualTo(3);
  }

  @Test
  void readWhoseResumeFailedNeverEndsLikeACompleteObject() throws IOException {
    upload("data/unresumable", 3 * MIB);
    http.rule(c -> c.operation().equals("GETObject") ? c.attempt() == 1 ? new BreakResponseAfter(MIB)
        : new Error(500, "InternalError") : FaultyHttpClient.PASS);
    try (InputStream in = sink.openRead("data/unresumable")) {
      byte[] buf = new byte[64 << 10];
      long read = 0;
      IOException failure = null;
      try {
        int n;
        while ((n = in.read(buf)) >= 0) {
          read += n;
        }
      } catch (IOException | RuntimeException e) {
        failure = e instanceof IOException io ? io : new IOException(e);
      }
      assertThat(failure).as("the failed resume is reported").isNotNull();
      assertThat(read).isLessThan(3 * MIB);
      // a caller that goes on reading after the error must not see a clean end of a truncated object
      assertThatThrownBy(() -> in.read(buf)).isInstanceOf(IOException.class).hasMessageContaining("data/unresumable");
      assertThatThrownBy(in::read).isInstanceOf(IOException.class);
    }
  }

  @Test
  void corruptedDownloadFailsTheSdkChecksumInsteadOfBeingResumedPast() throws IOException {
    // AWS mode: the SDK asks for the stored checksum and validates full-object GETs against it. s3proxy does not
    // return stored checksums, so the fault adds the header AWS would send, and corrupts the body
    byte[] data = new byte[100_000];
    new java.util.Random(9).nextBytes(data);
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(data);
    String crc32 = java.util.Base64.getEncoder().encodeToString(
        java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    try (FaultyHttpClient http2 = new FaultyHttpClient();
        S3Sink crcSink = builder(S3, BUCKET, prefix).checksums(S3Sink.ChecksumMode.WHEN_SUPPORTED)
            .httpClient(http2).build()) {
      try (PartWriter w = crcSink.openWrite("data/crc", WriteMode.OVERWRITE)) {
        w.stream().write(data);
        w.commit();
      }
      http2.rule(c -> c.operation().equals("GETObject") ? new FaultyHttpClient.CorruptResponseAt(-1, crc32)
          : FaultyHttpClient.PASS);
      try (InputStream in = crcSink.openRead("data/crc")) {
        assertThat(in.readAllBytes()).as("the true checksum is accepted").isEqualTo(data);
      }
      http2.rule(c -> c.operation().equals("GETObject") ? new FaultyHttpClient.CorruptResponseAt(50_000, crc32)
          : FaultyHttpClient.PASS);
      assertThatThrownBy(() -> {
        try (InputStream in = crcSink.openRead("data/crc")) {
          in.readAllBytes();
        }
      }).isInstanceOf(io.backup4j.api.IntegrityException.class).hasMessageContaining("data/crc");
    }
  }

  @Test
  void serverWithoutDeleteObjectsGetsOneDeletePerObject() throws IOException {
    for (int i = 0; i < 5; i++) {
      upload("del/" + i, 10);
    }
    http.rule(c -> c.operation().equals("DeleteObjects") ? new Error(501, "NotImplemented") : FaultyHttpClient.PASS);
    sink.deleteAll(java.util.List.of("del/0", "del/1", "del/2"));
    sink.deleteAll(java.util.List.of("del/3", "del/4", "del/never"));
    assertThat(http.attempts("DeleteObjects")).as("asked once, then remembered").isOne();
    try (var s = sink.list("del/")) {
      assertThat(s).isEmpty();
    }
  }

  @Test
  void createOnlyWriteWhoseAnswerWasLostStillCommitsOnceAndReportsSuccess() throws IOException {
    // the first PutObject / CompleteMultipartUpload reaches the server, the answer is lost, the SDK retries and the
    // server refuses the retry (If-None-Match: *) or no longer knows the upload: the object is ours all the same
    assertThat(sink.features()).as("s3proxy honours If-None-Match").contains(io.backup4j.api.SinkFeature.CONDITIONAL_CREATE);
    http.rule(c -> (c.operation().equals("PutObject") || c.operation().equals("CompleteMultipartUpload"))
        && c.attempt() == 1 ? new FaultyHttpClient.LoseResponse() : FaultyHttpClient.PASS);
    byte[] small = "manifest".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try (PartWriter w = sink.openWrite("catalog/lost.json", WriteMode.CREATE_ONLY)) {
      w.stream().write(small);
      w.commit();
    }
    assertThat(http.attempts("PutObject")).isGreaterThanOrEqualTo(2);
    try (InputStream in = sink.openRead("catalog/lost.json")) {
      assertThat(in.readAllBytes()).isEqualTo(small);
    }
    byte[] sha;
    try (PartWriter w = sink.openWrite("data/lost", WriteMode.CREATE_ONLY)) {
      sha = writeRandom(w.stream(), 6 * MIB, 4);
      w.commit();
    }
    assertThat(http.attempts("CompleteMultipartUpload")).isEqualTo(2);
    assertThat(download("data/lost")).isEqualTo(sha);
    assertNoUploadLeft();
    // a real second writer is still refused
    try (PartWriter w = sink.openWrite("catalog/lost.json", WriteMode.CREATE_ONLY)) {
      w.stream().write("other".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      assertThatThrownBy(w::commit).isInstanceOf(io.backup4j.api.AlreadyExistsException.class);
    }
  }

  @Test
  void lostAnswerOfAnSseCWriteIsRecognisedByReadingTheObjectBack() throws IOException {
    io.backup4j.api.Secret key = io.backup4j.api.Secret.of(java.util.Base64.getEncoder().encodeToString(new byte[32]));
    try (FaultyHttpClient http2 = new FaultyHttpClient();
        S3Sink sse = builder(S3, BUCKET, prefix).sseCustomerKey(key).httpClient(http2).build()) {
      assertThat(sse.features()).contains(io.backup4j.api.SinkFeature.CONDITIONAL_CREATE);
      http2.rule(c -> c.operation().equals("PutObject") && c.attempt() == 1 ? new FaultyHttpClient.LoseResponse()
          : FaultyHttpClient.PASS);
      try (PartWriter w = sse.openWrite("catalog/sse.json", WriteMode.CREATE_ONLY)) {
        w.stream().write(new byte[] {1, 2, 3});
        w.commit();
      }
      assertThat(http2.attempts("PutObject")).isEqualTo(2);
      try (InputStream in = sse.openRead("catalog/sse.json")) {
        assertThat(in.readAllBytes()).containsExactly(1, 2, 3);
      }
    }
  }

  @Test
  void conditionalWriteProbeWhoseAnswerWasLostStillFindsSupport() {
    http.rule(c -> c.operation().equals("PutObject") && c.attempt() == 1 ? new FaultyHttpClient.LoseResponse()
        : FaultyHttpClient.PASS);
    assertThat(sink.features()).contains(io.backup4j.api.SinkFeature.CONDITIONAL_CREATE);
  }

  @Test
  void throttledListingIsRetried() throws IOException {
    upload("k/1", 10);
    http.rule(c -> c.operation().equals("ListObjects") && c.attempt() == 1 ? new Error(503, "SlowDown")
        : FaultyHttpClient.PASS);
    try (var s = sink.list("k/")) {
      assertThat(s.map(io.backup4j.api.ObjectInfo::key)).containsExactly("k/1");
    }
  }
}
