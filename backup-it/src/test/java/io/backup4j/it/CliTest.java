package io.backup4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backup4j.cli.ExitCodes;
import io.backup4j.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI end to end on real files and a real local repository, including its errors and exit codes. */
class CliTest {
  @TempDir Path dir;
  Path tree;
  String repo;

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @BeforeEach
  void tree() throws IOException {
    tree = dir.resolve("tree");
    Files.createDirectories(tree.resolve("a/b"));
    Files.writeString(tree.resolve("a/b/file.txt"), "content ü");
    Files.write(tree.resolve("bin"), new byte[] {0, 1, 2, (byte) 255});
    repo = "file:" + dir.resolve("repo");
  }

  @Test
  void keyGenerateWritesAnOwnerOnlyKeyThatEncryptsAndRestoresAndNeverOverwrites() throws Exception {
    Path key = dir.resolve("key");
    Result gen = run("key", "generate", key.toString(), "--json");
    assertThat(gen.code()).as(gen.err()).isZero();
    String keyId = new ObjectMapper().readTree(gen.out()).get("keyId").asText();
    assertThat(Files.readString(key)).matches("[0-9a-f]{64}\n");
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("rw-------");
    assertThat(gen.out() + gen.err()).doesNotContain(Files.readString(key).trim());
    Result id = run("key", "id", key.toString());
    assertThat(id.code()).as(id.err()).isZero();
    assertThat(id.out().trim()).isEqualTo(keyId);

    byte[] before = Files.readAllBytes(key);
    Result again = run("key", "generate", key.toString());
    assertThat(again.code()).isEqualTo(ExitCodes.CONFLICT);
    assertThat(again.err()).contains("never overwritten");
    assertThat(Files.readAllBytes(key)).isEqualTo(before);

    Result b = run("backup", "--source", "files:" + tree, "--repo", repo, "--transform", "zstd",
        "--transform", "aes-gcm:keyFile=" + key, "--json");
    assertThat(b.code()).as(b.err()).isZero();
    String backupId = new ObjectMapper().readTree(b.out()).get("id").asText();
    assertThat(Files.readString(dir.resolve("repo/catalog/" + backupId + ".json"))).contains("\"" + keyId + "\"");
    Path target = dir.resolve("restored");
    Result r = run("restore", "--repo", repo, "latest", "--target", target.toString(),
        "--transform-option", "aes-gcm:keyFile=" + key);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(Files.readString(target.resolve("a/b/file.txt"))).isEqualTo("content ü");
    assertThat(Files.readAllBytes(target.resolve("bin"))).isEqualTo(new byte[] {0, 1, 2, (byte) 255});
  }

  @Test
  void backupListVerifyRestoreDeleteRoundTrip() throws Exception {
    Result b = run("backup", "--source", "files:" + tree, "--repo", repo, "--label", "env=test", "--json");
    assertThat(b.code()).as(b.err()).isZero();
    JsonNode backup = new ObjectMapper().readTree(b.out());
    String id = backup.get("id").asText();
    assertThat(backup.get("labels").get("env").asText()).isEqualTo("test");

    Result list = run("list", "--repo", repo, "--json");
    assertThat(list.code()).isZero();
    JsonNode arr = new ObjectMapper().readTree(list.out());
    assertThat(arr).hasSize(1);
    assertThat(arr.get(0).get("id").asText()).isEqualTo(id);
    assertThat(run("list", "--repo", repo).out()).contains(id).contains("files");

    Result verify = run("verify", "--repo", repo, "latest");
    assertThat(verify.code()).as(verify.err()).isZero();
    assertThat(verify.out()).contains("verified");

    Path target = dir.resolve("restored");
    Result restore = run("restore", "--repo", repo, id, "--target", target.toString());
    assertThat(restore.code()).as(restore.err()).isZero();
    assertThat(Files.readString(target.resolve("a/b/file.txt"))).isEqualTo("content ü");
    assertThat(Files.readAllBytes(target.resolve("bin"))).containsExactly(0, 1, 2, 255);

    Result delete = run("delete", "--repo", repo, id);
    assertThat(delete.code()).as(delete.err()).isZero();
    assertThat(run("list", "--repo", repo).out()).contains("no backups");
  }

  @Test
  void flippedByteMakesVerifyAndRestoreFailWithIntegrityExitCode() throws Exception {
    assertThat(run("backup", "--source", "files:" + tree, "--repo", repo).code()).isZero();
    Path part;
    try (Stream<Path> s = Files.walk(dir.resolve("repo/data"))) {
      part = s.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().startsWith("tree.tar")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(part);
    bytes[bytes.length / 3] ^= 0x40;
    Files.write(part, bytes);

    Result verify = run("verify", "--repo", repo, "latest");
    assertThat(verify.code()).isEqualTo(ExitCodes.INTEGRITY);
    assertThat(verify.err()).contains("part 'tree.tar'");
    Path target = dir.resolve("restored");
    Result restore = run("restore", "--repo", repo, "latest", "--target", target.toString());
    assertThat(restore.code()).isEqualTo(ExitCodes.INTEGRITY);
    assertThat(restore.err()).contains("part 'tree.tar'");
    assertThat(target).doesNotExist();
  }

  @Test
  void unknownSchemeIsAUsageErrorListingInstalledSchemes() {
    Result r = run("backup", "--source", "nosuch:/x", "--repo", repo);
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("no source named 'nosuch'").contains("files");
    Result r2 = run("list", "--repo", "nosuch://bucket");
    assertThat(r2.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r2.err()).contains("installed").contains("file");
  }

  @Test
  void missingRepositoryIsNotFoundAndCreatesNothing() {
    Path missing = dir.resolve("no/such/repo");
    Result r = run("list", "--repo", "file:" + missing);
    assertThat(r.code()).isEqualTo(ExitCodes.NOT_FOUND);
    assertThat(r.err()).contains(missing.toString());
    assertThat(missing).doesNotExist();
    assertThat(run("restore", "--repo", "file:" + missing, "latest", "--target", dir.resolve("t").toString()).code())
        .isEqualTo(ExitCodes.NOT_FOUND);
  }

  @Test
  void backupIdWithDotDotIsRejected() {
    assertThat(run("backup", "--source", "files:" + tree, "--repo", repo).code()).isZero();
    Result r = run("restore", "--repo", repo, "../../etc", "--target", dir.resolve("t").toString());
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("invalid backup id");
    assertThat(run("delete", "--repo", repo, "../x").code()).isEqualTo(ExitCodes.USAGE);
    assertThat(dir.resolve("t")).doesNotExist();
  }

  @Test
  void restoreOntoNonEmptyDirectoryIsRefusedAndWritesNothing() throws IOException {
    assertThat(run("backup", "--source", "files:" + tree, "--repo", repo).code()).isZero();
    Path target = dir.resolve("busy");
    Files.createDirectories(target);
    Files.writeString(target.resolve("keep.txt"), "mine");
    Result r = run("restore", "--repo", repo, "latest", "--target", target.toString());
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("not empty");
    try (Stream<Path> s = Files.list(target)) {
      assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("keep.txt");
    }
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.contains("restore")).toList()).as("no staging left").isEmpty();
    }
    Result ok = run("restore", "--repo", repo, "latest", "--target", target.toString(), "--overwrite");
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(Files.readString(target.resolve("a/b/file.txt"))).isEqualTo("content ü");
  }

  @Test
  void backupIntoNonEmptyNonRepositoryDirectoryIsRefused() throws IOException {
    Path notRepo = dir.resolve("home");
    Files.createDirectories(notRepo);
    Files.writeString(notRepo.resolve("thesis.tex"), "x");
    Result r = run("backup", "--source", "files:" + tree, "--repo", "file:" + notRepo);
    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).contains("not a backup4j repository");
    try (Stream<Path> s = Files.list(notRepo)) {
      assertThat(s.toList()).hasSize(1);
    }
  }

  @Test
  void retentionThroughTheCli() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertThat(run("backup", "--source", "files:" + tree, "--repo", repo, "--set", "media", "--keep", "last=2").code()).isZero();
    }
    JsonNode arr = new ObjectMapper().readTree(run("list", "--repo", repo, "--json").out());
    assertThat(arr).hasSize(2);
    Result prune = run("prune", "--repo", repo, "--set", "media", "--keep", "last=1");
    assertThat(prune.code()).as(prune.err()).isZero();
    assertThat(new ObjectMapper().readTree(run("list", "--repo", repo, "--json").out())).hasSize(1);
  }

  @Test
  void maintenanceCommandsPrintJsonWithJson() throws Exception {
    assertThat(run("backup", "--source", "files:" + tree, "--repo", repo, "--set", "media").code()).isZero();
    Result unlock = run("unlock", "--repo", repo, "--set", "media", "--json");
    assertThat(unlock.code()).as(unlock.err()).isZero();
    JsonNode u = new ObjectMapper().readTree(unlock.out());
    assertThat(u.get("set").asText()).isEqualTo("media");
    assertThat(u.get("wasLocked").asBoolean()).isFalse();
    Result cleanup = run("cleanup", "--repo", repo, "--json");
    assertThat(cleanup.code()).as(cleanup.err()).isZero();
    assertThat(new ObjectMapper().readTree(cleanup.out()).get("removed").asInt()).isZero();
  }

  @Test
  void latestInARepositoryOfSeveralSetsNeedsSetAndRestoresThatSet() throws Exception {
    Path docs = dir.resolve("docs");
    Files.createDirectories(docs);
    Files.writeString(docs.resolve("letter.txt"), "dear");
    assertThat(run("backup", "--source", "files:" + tree, "--repo", repo, "--set", "media").code()).isZero();
    assertThat(run("backup", "--source", "files:" + docs, "--repo", repo, "--set", "docs").code()).isZero();
    Path target = dir.resolve("media-restored");

    // the newest backup belongs to another set: restoring it would put docs where media was meant to go
    Result ambiguous = run("restore", "--repo", repo, "latest", "--target", target.toString());
    assertThat(ambiguous.code()).as(ambiguous.err()).isEqualTo(ExitCodes.USAGE);
    assertThat(ambiguous.err()).contains("docs").contains("media").contains("--set");
    assertThat(target).doesNotExist();
    assertThat(run("verify", "--repo", repo, "latest").code()).isEqualTo(ExitCodes.USAGE);

    Result restore = run("restore", "--repo", repo, "latest", "--set", "media", "--target", target.toString());
    assertThat(restore.code()).as(restore.err()).isZero();
    assertThat(Files.readString(target.resolve("a/b/file.txt"))).isEqualTo("content ü");
    assertThat(target.resolve("letter.txt")).doesNotExist();
    Result verify = run("verify", "--repo", repo, "latest", "--set", "docs");
    assertThat(verify.code()).as(verify.err()).isZero();
    assertThat(run("verify", "--repo", repo, "latest", "--set", "nosuch").code()).isEqualTo(ExitCodes.NOT_FOUND);

    String docsId = new ObjectMapper().readTree(run("list", "--repo", repo, "--set", "docs", "--json").out()).get(0)
        .get("id").asText();
    Result wrongSet = run("verify", "--repo", repo, docsId, "--set", "media");
    assertThat(wrongSet.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(wrongSet.err()).contains("docs");
  }

  @Test
  void pluginsListsWhatIsInstalled() {
    Result r = run("plugins");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("files").contains("file").contains("keep");
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertThat(run("backup", "--repo", repo).code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run("frobnicate").code()).isEqualTo(ExitCodes.USAGE);
    assertThat(run("restore", "--repo", repo, "latest").code()).isEqualTo(ExitCodes.USAGE);
  }

  static List<String> lines(String s) {
    return s.lines().toList();
  }
}
