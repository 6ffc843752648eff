package io.backup4j.storage.s3;

import static io.backup4j.storage.s3.S3TestSupport.rawClient;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.IntegrityException;
import io.backup4j.api.Manifest;
import io.backup4j.api.PartInfo;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.core.RestoreJob;
import io.backup4j.testkit.s3.InProcessS3;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The engine backing up a file tree into S3 and restoring it, through the URI a CLI user would type:
 * {@code s3://bucket/prefix?endpoint=http://127.0.0.1:PORT&pathStyle=true&checksums=when_required}.
 */
class S3EndToEndTest {
  @AutoClose static final InProcessS3 S3 = InProcessS3.start();
  static final String BUCKET = "e2e";

  @TempDir Path dir;

  @BeforeAll
  static void bucket() {
    S3.createBucket(BUCKET);
  }

  private Path tree() throws IOException {
    Path tree = dir.resolve("tree");
    Files.createDirectories(tree.resolve("sub/deeper"));
    Files.writeString(tree.resolve("hello.txt"), "hello, s3\n");
    Files.writeString(tree.resolve("sub/deeper/unicode-\u00fc.txt"), "\u65e5\u672c\n");
    Files.write(tree.resolve("sub/empty"), new byte[0]);
    try (OutputStream out = Files.newOutputStream(tree.resolve("sub/big.bin"))) {
      // larger than one 5 MiB part, so the engine's data part is a multipart upload
      S3TestSupport.writeRandom(out, 12_000_000, 5);
    }
    return tree;
  }

  private Backups.Builder backups(String prefix) {
    Backups.Builder b = Backups.builder().repository(S3.uri(BUCKET, prefix) + "&partSize=5MiB")
        .temporaryDirectory(dir.resolve("tmp"));
    S3.options().forEach(b::repositoryOption);
    return b;
  }

  @Test
  void fileTreeBacksUpToS3AndRestoresIdentically() throws IOException {
    Path tree = tree();
    Manifest m;
    try (Backups backups = backups("prod").build()) {
      m = backups.backup(BackupJob.builder().source("files:" + tree).label("env", "test").build());
      backups.verify(m.id());
      assertThat(backups.list()).extracting(Manifest::id).containsExactly(m.id());
      backups.restore(m.id(), RestoreJob.builder(dir.resolve("restored").toString()).build());
    }
    assertThat(contents(dir.resolve("restored"))).isEqualTo(contents(tree));

    try (S3Client raw = rawClient(S3)) {
      assertThat(raw.listMultipartUploads(b -> b.bucket(BUCKET)).uploads()).as("no upload left behind").isEmpty();
      assertThat(raw.listObjectsV2(b -> b.bucket(BUCKET).prefix("prod/")).contents()).extracting(S3Object::key)
          .contains("prod/catalog/" + m.id() + ".json").allMatch(k -> k.startsWith("prod/"));
    }

    // a second process (a restore on another host) finds the backup through a sink opened without create
    try (Backups again = backups("prod").build()) {
      assertThat(again.resolve("latest").id()).isEqualTo(m.id());
      again.restore(m.id(), RestoreJob.builder(dir.resolve("restored-2").toString()).build());
    }
    assertThat(contents(dir.resolve("restored-2"))).isEqualTo(contents(tree));
  }

  @Test
  void compressedEncryptedBackupInS3RestoresWithTheKeyAndHoldsNoPlaintext() throws IOException {
    Path tree = tree();
    Files.writeString(tree.resolve("secret.txt"), "TOP-SECRET-PLAINTEXT-MARKER\n".repeat(100));
    io.backup4j.api.Secret key = io.backup4j.api.Secret.of("00112233445566778899aabbccddeeff"
        + "00112233445566778899aabbccddeeff");
    Manifest m;
    try (Backups backups = backups("enc").secret("aes-gcm.key", key).build()) {
      m = backups.backup(BackupJob.builder().source("files:" + tree).transform("zstd", Map.of("level", "3"))
          .transform("aes-gcm", Map.of()).build());
      assertThat(m.transforms()).extracting(io.backup4j.api.TransformSpec::name).containsExactly("zstd", "aes-gcm");
      backups.verify(m.id());
      backups.restore(m.id(), RestoreJob.builder(dir.resolve("restored").toString()).build());
    }
    assertThat(contents(dir.resolve("restored"))).isEqualTo(contents(tree));
    try (S3Client raw = rawClient(S3)) {
      for (S3Object o : raw.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix("enc/data/")).contents()) {
        byte[] stored = raw.getObjectAsBytes(b -> b.bucket(BUCKET).key(o.key())).asByteArray();
        assertThat(utf8(stored)).as(o.key()).doesNotContain("TOP-SECRET-PLAINTEXT-MARKER");
      }
    }
    try (Backups noKey = backups("enc").build()) {
      assertThatThrownBy(() -> noKey.restore(m.id(), RestoreJob.builder(dir.resolve("nokey").toString()).build()))
          .isInstanceOf(io.backup4j.api.BackupException.class);
    }
  }

  @Test
  void tamperedPartInS3IsDetectedByVerify() throws IOException {
    Path tree = tree();
    try (Backups backups = backups("tamper").build(); S3Client raw = rawClient(S3)) {
      Manifest m = backups.backup(BackupJob.builder().source("files:" + tree).build());
      String key;
      try (Stream<S3Object> s = raw.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix("tamper/data/")).contents()
          .stream()) {
        key = s.map(S3Object::key).filter(k -> !k.endsWith(".json")).findFirst().orElseThrow();
      }
      long size = raw.headObject(b -> b.bucket(BUCKET).key(key)).contentLength();
      raw.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(new byte[(int) Math.min(size, 1000)]));
      assertThatThrownBy(() -> backups.verify(m.id())).isInstanceOf(IntegrityException.class);
      assertThat(m.parts()).extracting(PartInfo::name).isNotEmpty();
    }
  }

  @Test
  void deletingABackupRemovesItsObjectsFromS3() throws IOException {
    Path tree = tree();
    try (Backups backups = backups("del").build(); S3Client raw = rawClient(S3)) {
      Manifest first = backups.backup(BackupJob.builder().source("files:" + tree).build());
      Manifest second = backups.backup(BackupJob.builder().source("files:" + tree).build());
      backups.delete(first.id());
      assertThat(backups.list()).extracting(Manifest::id).containsExactly(second.id());
      assertThat(raw.listObjectsV2(b -> b.bucket(BUCKET).prefix("del/")).contents()).extracting(S3Object::key)
          .noneMatch(k -> k.contains(first.id().toString()));
    }
  }

  /**
   * A backup into an Object Lock repository succeeds (locks and in-flight markers stay deletable), and deleting it
   * is refused while the data is retained. s3proxy does not implement retention, so the retention real S3 would report
   * for the locked objects is added to HEAD responses by an interceptor.
   */
  @Test
  void objectLockedBackupCommitsAndCannotBeDeleted() throws IOException {
    Path tree = tree();
    String until = java.time.Instant.now().plus(java.time.Duration.ofDays(7)).truncatedTo(
        java.time.temporal.ChronoUnit.SECONDS).toString();
    software.amazon.awssdk.core.interceptor.ExecutionInterceptor retention =
        new software.amazon.awssdk.core.interceptor.ExecutionInterceptor() {
          @Override
          public software.amazon.awssdk.http.SdkHttpResponse modifyHttpResponse(
              software.amazon.awssdk.core.interceptor.Context.ModifyHttpResponse context,
              software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
            if (context.request() instanceof software.amazon.awssdk.services.s3.model.HeadObjectRequest h
                && (h.key().contains("/data/") || h.key().contains("/catalog/"))) {
              return context.httpResponse().toBuilder().putHeader("x-amz-object-lock-mode", "COMPLIANCE")
                  .putHeader("x-amz-object-lock-retain-until-date", until).build();
            }
            return context.httpResponse();
          }
        };
    try (S3Sink sink = S3TestSupport.builder(S3, BUCKET, "locked").partSize(5 << 20)
            .objectLock(software.amazon.awssdk.services.s3.model.ObjectLockMode.COMPLIANCE,
                java.time.Duration.ofDays(7))
            .addExecutionInterceptor(retention).build();
        Backups backups = Backups.builder().sink(sink).temporaryDirectory(dir.resolve("tmp")).build()) {
      Manifest m = backups.backup(BackupJob.builder().source("files:" + tree).build());
      backups.verify(m.id());
      assertThatThrownBy(() -> backups.delete(m.id())).isInstanceOf(io.backup4j.api.AccessDeniedException.class)
          .hasMessageContaining("Object Lock").hasMessageContaining(until);
      assertThat(backups.list()).extracting(Manifest::id).containsExactly(m.id());
      backups.restore(m.id(), RestoreJob.builder(dir.resolve("restored").toString()).build());
    }
    assertThat(contents(dir.resolve("restored"))).isEqualTo(contents(tree));
  }

  /**
   * Retention (prune) in an Object Lock repository: of three backups, the oldest is still under retention and the
   * middle one's retention has run out. {@code last=1} deletes the middle one, keeps the locked one whole (not a
   * single object of it deleted) and says which backup it kept and why. As above, the retention real S3 would report
   * is added to HEAD responses by an interceptor, here per backup.
   */
  @Test
  void pruneKeepsTheBackupUnderObjectLockWholeAndTheWarningNamesIt() throws IOException {
    Path tree = tree();
    java.time.Instant future = java.time.Instant.now().plus(java.time.Duration.ofDays(7))
        .truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    java.time.Instant past = java.time.Instant.now().minus(java.time.Duration.ofDays(1))
        .truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Map<String, java.time.Instant> retainedUntilById = new java.util.concurrent.ConcurrentHashMap<>();
    software.amazon.awssdk.core.interceptor.ExecutionInterceptor retention =
        new software.amazon.awssdk.core.interceptor.ExecutionInterceptor() {
          @Override
          public software.amazon.awssdk.http.SdkHttpResponse modifyHttpResponse(
              software.amazon.awssdk.core.interceptor.Context.ModifyHttpResponse context,
              software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
            if (context.request() instanceof software.amazon.awssdk.services.s3.model.HeadObjectRequest h) {
              for (Map.Entry<String, java.time.Instant> e : retainedUntilById.entrySet()) {
                if (h.key().contains(e.getKey())) {
                  return context.httpResponse().toBuilder().putHeader("x-amz-object-lock-mode", "COMPLIANCE")
                      .putHeader("x-amz-object-lock-retain-until-date", e.getValue().toString()).build();
                }
              }
            }
            return context.httpResponse();
          }
        };
    java.util.List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (S3Sink sink = S3TestSupport.builder(S3, BUCKET, "prune-locked").partSize(5 << 20)
            .objectLock(software.amazon.awssdk.services.s3.model.ObjectLockMode.COMPLIANCE,
                java.time.Duration.ofDays(7))
            .addExecutionInterceptor(retention).build();
        Backups backups = Backups.builder().sink(sink).temporaryDirectory(dir.resolve("tmp"))
            .listener(e -> {
              if (e instanceof io.backup4j.api.BackupEvent.Warning w) {
                warnings.add(w.message());
              }
            }).build();
        S3Client raw = rawClient(S3)) {
      BackupJob job = BackupJob.builder().source("files:" + tree).backupSet("media").build();
      Manifest locked = backups.backup(job);
      Manifest expired = backups.backup(job);
      Manifest newest = backups.backup(job);
      retainedUntilById.put(locked.id().value(), future);
      retainedUntilById.put(expired.id().value(), past);
      java.util.List<String> lockedKeys = keysOf(raw, "prune-locked/", locked.id().value());
      assertThat(lockedKeys).contains("prune-locked/catalog/" + locked.id() + ".json").hasSizeGreaterThan(1);

      java.util.List<io.backup4j.api.BackupId> deleted = backups.applyRetention("media",
          io.backup4j.core.KeepPolicy.parse("last=1"));

      assertThat(deleted).containsExactly(expired.id());
      assertThat(backups.list()).extracting(Manifest::id).containsExactly(locked.id(), newest.id());
      assertThat(keysOf(raw, "prune-locked/", locked.id().value())).as("the locked backup is whole")
          .isEqualTo(lockedKeys);
      assertThat(keysOf(raw, "prune-locked/", expired.id().value())).as("the expired backup is gone").isEmpty();
      assertThat(warnings).filteredOn(w -> w.contains("could not delete")).singleElement().asString()
          .contains(locked.id().value()).contains("Object Lock").contains(future.toString());
      backups.verify(locked.id());
      backups.restore(locked.id(), RestoreJob.builder(dir.resolve("restored").toString()).build());
    }
    assertThat(contents(dir.resolve("restored"))).isEqualTo(contents(tree));
  }

  private static java.util.List<String> keysOf(S3Client raw, String prefix, String id) {
    return raw.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix)).contents().stream().map(S3Object::key)
        .filter(k -> k.contains(id)).sorted().toList();
  }

  /** Relative path to content (directories as "dir") of every entry under {@code root}. */
  static Map<String, String> contents(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        String rel = root.relativize(p).toString();
        if (rel.isEmpty()) {
          continue;
        }
        out.put(rel, Files.isDirectory(p) ? "dir" : sha(Files.readAllBytes(p)));
      }
    }
    return out;
  }

  static String sha(byte[] b) {
    return java.util.HexFormat.of().formatHex(S3TestSupport.sha256().digest(b)) + ":" + b.length;
  }

  static String utf8(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }
}
