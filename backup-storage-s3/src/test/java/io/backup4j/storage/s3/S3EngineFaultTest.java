package io.backup4j.storage.s3;

import static io.backup4j.storage.s3.S3EndToEndTest.contents;
import static io.backup4j.storage.s3.S3TestSupport.builder;
import static io.backup4j.storage.s3.S3TestSupport.rawClient;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.BackupException;
import io.backup4j.api.Manifest;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.core.RestoreJob;
import io.backup4j.storage.s3.FaultyHttpClient.Error;
import io.backup4j.storage.s3.FaultyHttpClient.ResetMidBody;
import io.backup4j.testkit.s3.InProcessS3;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Faults injected between the S3 sink and a real (in-process) S3 server while the engine runs a whole backup
 * ({@link Backups#backup}): a commit of the data part that keeps failing must leave the repository exactly as it
 * was (no manifest, no listed backup, no open multipart upload, the earlier backup intact), and a connection reset
 * in the middle of a part must be retried into a complete, byte-identical backup.
 */
class S3EngineFaultTest {
  @AutoClose static final InProcessS3 S3 = InProcessS3.start();
  static final String BUCKET = "engine-faults";
  static final int MIB = 1 << 20;
  static int prefixes;

  @TempDir Path dir;
  FaultyHttpClient http;
  S3Sink sink;
  Backups backups;
  S3Client raw;
  String prefix;

  @BeforeAll
  static void bucket() {
    S3.createBucket(BUCKET);
  }

  @BeforeEach
  void open() {
    http = new FaultyHttpClient();
    prefix = "e" + (++prefixes);
    sink = builder(S3, BUCKET, prefix).partSize(5 * MIB).concurrency(2).maxAttempts(4).httpClient(http).build();
    backups = Backups.builder().sink(sink).temporaryDirectory(dir.resolve("tmp")).build();
    raw = rawClient(S3);
  }

  @AfterEach
  void close() {
    backups.close();
    sink.close();
    http.close();
    raw.close();
  }

  /** A tree whose tar is about 7 MiB: two 5 MiB-part uploads' worth, so the data part is a multipart upload. */
  private Path tree(String name, long seed) throws IOException {
    Path tree = dir.resolve(name);
    Files.createDirectories(tree.resolve("sub"));
    Files.writeString(tree.resolve("sub/note.txt"), "tree " + name + "\n");
    try (OutputStream out = Files.newOutputStream(tree.resolve("big.bin"))) {
      S3TestSupport.writeRandom(out, 7 * MIB + 123, seed);
    }
    return tree;
  }

  private Manifest backup(Path tree) {
    return backups.backup(BackupJob.builder().source("files:" + tree).backupSet("media").build());
  }

  private List<String> keys() {
    return raw.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix + "/")).contents().stream()
        .map(S3Object::key).sorted().toList();
  }

  private void assertNoUploadLeft() {
    assertThat(raw.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix + "/")).uploads())
        .as("multipart uploads left open under the prefix").isEmpty();
  }

  @Test
  void backupWhoseCompleteMultipartUploadKeepsFailingLeavesTheRepositoryAsItWas() throws IOException {
    Path first = tree("first", 1);
    Manifest earlier = backup(first);
    List<String> before = keys();
    assertThat(before).contains(prefix + "/catalog/" + earlier.id() + ".json");

    http.rule(c -> c.operation().equals("CompleteMultipartUpload") ? new Error(500, "InternalError")
        : FaultyHttpClient.PASS);
    assertThatThrownBy(() -> backup(tree("second", 2))).isInstanceOf(BackupException.class)
        .hasMessageContaining("InternalError");
    assertThat(http.attempts("CompleteMultipartUpload")).as("the SDK retried the commit").isEqualTo(4);
    assertThat(http.attempts("AbortMultipartUpload")).as("the upload was aborted").isOne();
    http.rule(c -> FaultyHttpClient.PASS);

    assertThat(keys()).as("no manifest, part, in-flight marker or lock of the failed run").isEqualTo(before);
    assertNoUploadLeft();
    assertThat(backups.list()).extracting(Manifest::id).containsExactly(earlier.id());
    backups.verify(earlier.id());
    backups.restore(earlier.id(), RestoreJob.builder(dir.resolve("restored").toString()).build());
    assertThat(contents(dir.resolve("restored"))).isEqualTo(contents(first));

    // and the failed run released the set: the next backup of it commits
    Manifest next = backup(tree("third", 3));
    assertThat(backups.list()).extracting(Manifest::id).containsExactly(earlier.id(), next.id());
  }

  @Test
  void connectionResetInTheMiddleOfAPartIsRetriedAndTheBackupRestoresIdentically() throws IOException {
    Path tree = tree("tree", 4);
    http.rule(c -> c.operation().equals("UploadPart") && c.attempt() == 1 ? new ResetMidBody()
        : FaultyHttpClient.PASS);
    Manifest m = backup(tree);
    assertThat(http.injected.get()).as("faults injected").isOne();
    assertThat(http.attempts("UploadPart")).as("two parts, one of them sent twice").isEqualTo(3);
    assertThat(http.attempts("CompleteMultipartUpload")).isOne();
    assertNoUploadLeft();
    assertThat(backups.list()).extracting(Manifest::id).containsExactly(m.id());
    backups.verify(m.id());
    backups.restore(m.id(), RestoreJob.builder(dir.resolve("restored").toString()).build());
    assertThat(contents(dir.resolve("restored"))).isEqualTo(contents(tree));
  }
}
