package io.backup4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backup4j.cli.Main;
import io.backup4j.testkit.s3.InProcessS3;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The CLI against a real S3 server (the in-process s3proxy of {@link InProcessS3}) through the URI a user types,
 * {@code s3://bucket/prefix?endpoint=http://127.0.0.1:PORT&pathStyle=true&checksums=when_required}: backup with
 * zstd and aes-gcm, list, verify, restore (byte for byte), a second backup and prune, delete, and cleanup of an
 * interrupted multipart upload.
 *
 * <p>The credentials reach the CLI the way docs/s3.md tells users to pass them, as {@code AWS_ACCESS_KEY_ID} and
 * {@code AWS_SECRET_ACCESS_KEY} in its environment, never on its command line. A process cannot change its own
 * environment, so (like {@link CliSecretsTest}) each command runs {@link Main} in a JVM of its own.
 */
class CliS3Test {
  @AutoClose static final InProcessS3 S3 = InProcessS3.start();
  static final String BUCKET = "cli";
  static final String PREFIX = "prod";
  static final String MARKER = "PLAINTEXT-MARKER-THAT-MUST-NOT-REACH-S3";
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @BeforeAll
  static void bucket() {
    S3.createBucket(BUCKET);
  }

  record Result(int code, String out, String err) {
    String all() {
      return "exit " + code + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  /** Runs the CLI in its own JVM, with the server's credentials in its environment only. */
  Result cli(String... args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), Main.class.getName()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(dir, "cli", ".out");
    Path err = Files.createTempFile(dir, "cli", ".err");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
    // nothing of the developer's own AWS setup may leak in (a profile, a session token, a region)
    pb.environment().keySet().removeIf(k -> k.startsWith("AWS_"));
    pb.environment().put("AWS_ACCESS_KEY_ID", S3.accessKey());
    pb.environment().put("AWS_SECRET_ACCESS_KEY", S3.secretKey());
    pb.environment().put("AWS_EC2_METADATA_DISABLED", "true");
    Process p = pb.start();
    if (!p.waitFor(3, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("the CLI did not finish within 3 minutes: " + Files.readString(err));
    }
    Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    assertThat(r.out() + r.err()).as("the secret key in the CLI's output").doesNotContain(S3.secretKey());
    return r;
  }

  /** The URI of docs/s3.md: the endpoint unencoded in the query, no region (us-east-1 with an endpoint). */
  static String repo() {
    return "s3://" + BUCKET + "/" + PREFIX + "?endpoint=" + S3.endpoint() + "&pathStyle=true&checksums=when_required";
  }

  static S3Client raw() {
    return S3Client.builder().endpointOverride(S3.endpoint()).region(Region.of(InProcessS3.REGION)).forcePathStyle(true)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(S3.accessKey(),
            S3.secretKey())))
        .build();
  }

  static List<String> keys(S3Client raw, String prefix) {
    return raw.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix)).contents().stream().map(S3Object::key)
        .toList();
  }

  /** A tree with nested directories, a non-ASCII name, an empty file, text and a file of two 8 MiB parts. */
  Path tree() throws IOException {
    Path tree = dir.resolve("tree");
    Files.createDirectories(tree.resolve("a/b/c"));
    Files.createDirectories(tree.resolve("empty-dir"));
    Files.writeString(tree.resolve("a/b/c/notes-\u00fc\u65e5.txt"), (MARKER + " line\n").repeat(200));
    Files.write(tree.resolve("a/empty"), new byte[0]);
    Random random = new Random(7);
    byte[] small = new byte[70_001];
    random.nextBytes(small);
    Files.write(tree.resolve("a/b/small.bin"), small);
    try (OutputStream out = Files.newOutputStream(tree.resolve("big.bin"))) {
      // larger than the sink's 8 MiB part: the encrypted data part goes up as a multipart upload
      byte[] buf = new byte[1 << 20];
      for (int i = 0; i < 9; i++) {
        random.nextBytes(buf);
        out.write(buf);
      }
      out.write(buf, 0, 12_345);
    }
    return tree;
  }

  @Test
  void backupListVerifyRestorePruneDeleteAndCleanupAgainstS3() throws Exception {
    Path tree = tree();
    Path key = dir.resolve("backup.key");
    // key generation touches no repository and no credentials: it can run in this JVM
    ByteArrayOutputStream keyOut = new ByteArrayOutputStream();
    assertThat(Main.run(new String[] {"key", "generate", key.toString()}, new PrintStream(keyOut, true,
        StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))).isZero();
    String keyOption = "aes-gcm:keyFile=" + key;

    Result b1 = cli("backup", "--source", "files:" + tree, "--repo", repo(), "--set", "media", "--transform", "zstd",
        "--transform", keyOption, "--json", "--no-progress");
    assertThat(b1.code()).as(b1.all()).isZero();
    JsonNode first = JSON.readTree(b1.out());
    String id1 = first.get("id").asText();
    assertThat(first.get("transforms").asText()).isEqualTo("zstd,aes-gcm");
    assertThat(first.get("rawBytes").asLong()).isGreaterThan(9L << 20);
    try (S3Client raw = raw()) {
      List<String> keys = keys(raw, PREFIX + "/");
      assertThat(keys).contains(PREFIX + "/catalog/" + id1 + ".json").anyMatch(k -> k.startsWith(PREFIX + "/data/" + id1));
      for (String k : keys(raw, PREFIX + "/data/")) {
        assertThat(new String(raw.getObjectAsBytes(r -> r.bucket(BUCKET).key(k)).asByteArray(), StandardCharsets.ISO_8859_1))
            .as("stored object %s is encrypted", k).doesNotContain(MARKER);
      }
      assertThat(raw.listMultipartUploads(r -> r.bucket(BUCKET)).uploads()).as("no upload left open").isEmpty();
    }

    Result list = cli("list", "--repo", repo(), "--json");
    assertThat(list.code()).as(list.all()).isZero();
    JsonNode listed = JSON.readTree(list.out());
    assertThat(listed).hasSize(1);
    assertThat(listed.get(0).get("id").asText()).isEqualTo(id1);
    assertThat(listed.get(0).get("backupSet").asText()).isEqualTo("media");
    assertThat(listed.get(0).get("storedBytes").asLong()).isEqualTo(first.get("storedBytes").asLong());

    Result verify = cli("verify", "--repo", repo(), "latest", "--transform-option", keyOption);
    assertThat(verify.code()).as(verify.all()).isZero();
    assertThat(verify.out()).contains("backup " + id1 + " verified").contains("all checksums match");

    Path restored = dir.resolve("restored");
    Result restore = cli("restore", "--repo", repo(), "latest", "--target", restored.toString(), "--transform-option",
        keyOption, "--no-progress");
    assertThat(restore.code()).as(restore.all()).isZero();
    assertThat(Trees.snapshot(restored)).isEqualTo(Trees.snapshot(tree));

    Files.writeString(tree.resolve("a/second.txt"), "added for the second backup");
    Result b2 = cli("backup", "--source", "files:" + tree, "--repo", repo(), "--set", "media", "--transform", "zstd",
        "--transform", keyOption, "--json", "--no-progress");
    assertThat(b2.code()).as(b2.all()).isZero();
    String id2 = JSON.readTree(b2.out()).get("id").asText();
    assertThat(id2).isNotEqualTo(id1);

    Result prune = cli("prune", "--repo", repo(), "--set", "media", "--keep", "last=1", "--json");
    assertThat(prune.code()).as(prune.all()).isZero();
    JsonNode pruned = JSON.readTree(prune.out());
    assertThat(pruned).hasSize(1);
    assertThat(pruned.get(0).asText()).isEqualTo(id1);
    Result afterPrune = cli("list", "--repo", repo(), "--json");
    assertThat(afterPrune.code()).as(afterPrune.all()).isZero();
    assertThat(JSON.readTree(afterPrune.out())).extracting(n -> n.get("id").asText()).containsExactly(id2);
    try (S3Client raw = raw()) {
      assertThat(keys(raw, PREFIX + "/")).as("nothing of the pruned backup is left").noneMatch(k -> k.contains(id1))
          .anyMatch(k -> k.contains(id2));
    }

    Result delete = cli("delete", "--repo", repo(), id2, "--json");
    assertThat(delete.code()).as(delete.all()).isZero();
    assertThat(JSON.readTree(delete.out()).get("deleted").asText()).isEqualTo(id2);
    try (S3Client raw = raw()) {
      assertThat(keys(raw, PREFIX + "/catalog/")).as("no manifest left").isEmpty();
      assertThat(keys(raw, PREFIX + "/data/")).as("no data left").isEmpty();

      // what a backup killed mid-upload leaves: a multipart upload with a part, billed until it is aborted
      String upload = raw.createMultipartUpload(r -> r.bucket(BUCKET).key(PREFIX + "/data/crashed/tree.tar"))
          .uploadId();
      raw.uploadPart(r -> r.bucket(BUCKET).key(PREFIX + "/data/crashed/tree.tar").uploadId(upload).partNumber(1),
          software.amazon.awssdk.core.sync.RequestBody.fromBytes(new byte[1000]));
      raw.createMultipartUpload(r -> r.bucket(BUCKET).key("other-prefix/data/x"));
    }
    Result young = cli("cleanup", "--repo", repo(), "--older-than", "24h", "--json");
    assertThat(young.code()).as(young.all()).isZero();
    assertThat(JSON.readTree(young.out()).get("removed").asInt()).as("an upload younger than 24h is running").isZero();
    // the upload was started before this JVM launched the CLI, so it is older than "0 minutes"
    Result cleanup = cli("cleanup", "--repo", repo(), "--older-than", "0m", "--json");
    assertThat(cleanup.code()).as(cleanup.all()).isZero();
    assertThat(JSON.readTree(cleanup.out()).get("removed").asInt()).isEqualTo(1);
    try (S3Client raw = raw()) {
      assertThat(raw.listMultipartUploads(r -> r.bucket(BUCKET).prefix(PREFIX + "/")).uploads()).isEmpty();
      assertThat(raw.listMultipartUploads(r -> r.bucket(BUCKET).prefix("other-prefix/")).uploads())
          .as("uploads outside the repository's prefix are not the CLI's").extracting(MultipartUpload::key)
          .containsExactly("other-prefix/data/x");
      raw.listMultipartUploads(r -> r.bucket(BUCKET)).uploads().forEach(u -> raw.abortMultipartUpload(
          r -> r.bucket(BUCKET).key(u.key()).uploadId(u.uploadId())));
    }
  }
}
