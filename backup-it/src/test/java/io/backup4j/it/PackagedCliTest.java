package io.backup4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.backup4j.cli.Main;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The CLI as users run it: the shaded {@code backup-cli/target/backup4j.jar} started with {@code java -jar}, and the
 * {@code bin/backup4j} launcher, each as a child process. This is what {@link CliTest} (which calls {@link Main} on
 * the test class path) cannot see: a shade merge that loses a {@code META-INF/services} file, a missing Main-Class,
 * a class that exists only on the build's class path, a launcher that finds no jar.
 *
 * <p>The jar is made in backup-cli's {@code package} phase. In a reactor {@code verify} run (CI) that phase has run
 * before this module's tests, and the reactor then puts the packaged jar on this module's test class path; the test
 * uses that fact to tell a build in which the jar must exist (a missing jar fails the test) from a standalone
 * {@code -pl backup-it -am test} run that never packages (the test is skipped, saying so).
 * {@code -Dbackup4j.it.requirePackagedCli=true} makes a missing or stale jar a failure in any run.
 */
class PackagedCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String MARKER = "plaintext-marker-6c1f0e";
  private static Path root;
  private static Path jar;
  /** Why the tests are skipped, or null when the packaged jar is there and current. */
  private static String skipReason;

  enum Launcher {
    JAVA_JAR, BIN_SCRIPT
  }

  @BeforeAll
  static void findThePackagedJar() throws IOException, URISyntaxException {
    root = Path.of(System.getProperty("basedir", System.getProperty("user.dir"))).toAbsolutePath().getParent();
    jar = root.resolve("backup-cli/target/backup4j.jar");
    Path cliOnClassPath = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    boolean packagedInThisBuild = Files.isRegularFile(cliOnClassPath);
    boolean required = packagedInThisBuild || Boolean.getBoolean("backup4j.it.requirePackagedCli");
    if (required) {
      assertThat(jar).as("backup-cli was packaged in this build (the class path holds %s), but bin/backup4j runs %s, "
          + "which does not exist: check backup-cli's finalName and its shade execution", cliOnClassPath, jar)
          .isRegularFile();
    }
    System.err.println("PackagedCliTest: backup-cli on the test class path is " + cliOnClassPath + "; the jar "
        + (required ? "must exist" : "is tested if present and current"));
    String why = null;
    if (!Files.isRegularFile(jar)) {
      why = jar + " does not exist: this run did not package backup-cli";
    } else if (!packagedInThisBuild) {
      Path newer = newestClassFile();
      if (newer != null && Files.getLastModifiedTime(newer).compareTo(Files.getLastModifiedTime(jar)) > 0) {
        why = jar + " is older than " + newer + ", so it would test stale code";
      }
    }
    if (why != null) {
      String msg = why + "; run `./mvnw -B -ntp verify` (or `-pl backup-it -am verify`), or package backup-cli first";
      Assertions.assertFalse(required, "FAILED: " + msg);
      System.err.println("SKIPPING PackagedCliTest: " + msg);
      skipReason = msg;
    }
  }

  @BeforeEach
  void skipLoudlyWithoutAPackagedJar() {
    // per test rather than in @BeforeAll, so each one is reported as skipped
    Assumptions.assumeTrue(skipReason == null, () -> "SKIPPED: " + skipReason);
  }

  /** The newest compiled class or resource of a module the CLI bundles, or null if none is found. */
  private static Path newestClassFile() throws IOException {
    Path newest = null;
    FileTime newestTime = null;
    try (Stream<Path> modules = Files.list(root)) {
      Set<String> notBundled = Set.of("backup-testkit", "backup-it", "backup-demo", "backup-bom");
      for (Path m : modules.filter(p -> p.getFileName().toString().startsWith("backup-"))
          .filter(p -> !notBundled.contains(p.getFileName().toString())).toList()) {
        Path classes = m.resolve("target/classes");
        if (!Files.isDirectory(classes)) {
          continue;
        }
        try (Stream<Path> s = Files.walk(classes)) {
          for (Path f : s.filter(Files::isRegularFile).toList()) {
            FileTime t = Files.getLastModifiedTime(f);
            if (newestTime == null || t.compareTo(newestTime) > 0) {
              newest = f;
              newestTime = t;
            }
          }
        }
      }
    }
    return newest;
  }

  record Result(int code, String out, String err) {}

  /** Runs the CLI through a launcher as a child process, arguments as a list, no shell in between. */
  static Result run(Launcher launcher, Path work, String... args) throws IOException, InterruptedException {
    return run(launcher, work, Map.of(), args);
  }

  /** As above, with extra environment variables for the launcher. */
  static Result run(Launcher launcher, Path work, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // short-lived JVMs on a shared machine: no C2, one GC thread
    List<String> jvmOptions = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    List<String> command = new ArrayList<>();
    if (launcher == Launcher.JAVA_JAR) {
      command.add(java);
      command.addAll(jvmOptions);
      command.add("-jar");
      command.add(jar.toString());
    } else {
      command.add(root.resolve("bin/backup4j").toString());
    }
    command.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile());
    pb.environment().put("JAVA", java);
    pb.environment().put("BACKUP4J_JAVA_OPTS", String.join(" ", jvmOptions));
    // the launcher's class-data-sharing archive: one for the whole test run, not in the user's home
    pb.environment().put("BACKUP4J_CACHE_DIR", root.resolve("backup-it/target/cli-cds-cache").toString());
    pb.environment().putAll(env);
    Path out = Files.createTempFile(work, "stdout-", ".txt");
    Path err = Files.createTempFile(work, "stderr-", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(
        Path.of("/dev/null").toFile()));
    Process p = pb.start();
    try {
      if (!p.waitFor(180, TimeUnit.SECONDS)) {
        Assertions.fail(command + " did not finish within 180 s; stderr so far: " + Files.readString(err));
      }
    } finally {
      p.destroyForcibly();
    }
    Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    Files.delete(out);
    Files.delete(err);
    return r;
  }

  static void assertOk(Result r, String what) {
    assertThat(r.code()).as("%s exited with %d; stderr: %s; stdout: %s", what, r.code(), r.err(), r.out()).isZero();
  }

  /**
   * bin/backup4j writes a class-data-sharing archive when its first run exits and maps it in later runs; the output
   * is the same with and without it, nothing about it reaches stdout or stderr, and BACKUP4J_CDS=off runs without.
   */
  @Test
  void theLauncherKeepsAClassDataSharingArchive(@TempDir Path work) throws Exception {
    Path cache = work.resolve("cds");
    Map<String, String> env = Map.of("BACKUP4J_CACHE_DIR", cache.toString());
    Result first = run(Launcher.BIN_SCRIPT, work, env, "plugins");
    assertOk(first, "the first run");
    assertThat(first.err()).as("stderr of the run that writes the archive").isEmpty();
    String stamp = "cds-[0-9]+\\.[0-9]+\\.[0-9]+-[0-9]+\\.[0-9]+\\.[0-9]+-";
    assertThat(names(cache)).as("the archive the first run wrote, and the mark of its success")
        .hasSize(2).allMatch(n -> n.matches(stamp + "plugins\\.[0-9]+\\.(tmp|ok)"));
    Path trace = work.resolve("classes.txt");
    Map<String, String> traced = new TreeMap<>(env);
    traced.put("BACKUP4J_JAVA_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xlog:class+load=info:file=" + trace);
    Result second = run(Launcher.BIN_SCRIPT, work, traced, "plugins");
    assertOk(second, "the second run");
    assertThat(second.out()).isEqualTo(first.out());
    assertThat(second.err()).isEmpty();
    assertThat(names(cache)).singleElement().asString().matches(stamp + "plugins\\.jsa");
    assertThat(Files.readAllLines(trace)).as("the CLI's main class came from the archive")
        .anyMatch(l -> l.contains("io.backup4j.cli.Main source: shared objects file"));
    traced.put("BACKUP4J_CDS", "off");
    Result off = run(Launcher.BIN_SCRIPT, work, traced, "plugins");
    assertOk(off, "a run with BACKUP4J_CDS=off");
    assertThat(off.out()).isEqualTo(first.out());
    assertThat(Files.readAllLines(trace)).as("without the archive the class comes from the jar")
        .anyMatch(l -> l.contains("io.backup4j.cli.Main source: file:"));
  }

  @Test
  void aFailedRunLeavesNoArchiveAndEachCommandGetsItsOwn(@TempDir Path work) throws Exception {
    Path cache = work.resolve("cds");
    Map<String, String> env = Map.of("BACKUP4J_CACHE_DIR", cache.toString());
    String missing = "file:" + work.resolve("no-such-repo");
    Result failed = run(Launcher.BIN_SCRIPT, work, env, "list", "--repo", missing);
    assertThat(failed.code()).as("list of a missing repository fails: " + failed).isNotZero();
    assertThat(names(cache)).as("a failed run writes its archive but no mark of success")
        .singleElement().asString().endsWith(".tmp");
    Result retried = run(Launcher.BIN_SCRIPT, work, env, "list", "--repo", missing);
    assertThat(retried.code()).isNotZero();
    assertThat(names(cache)).as("the next run dropped the failed run's archive and wrote a new one, not kept yet")
        .singleElement().asString().endsWith(".tmp").doesNotContain(".jsa");
    assertOk(run(Launcher.BIN_SCRIPT, work, env, "plugins"), "plugins");
    assertOk(run(Launcher.BIN_SCRIPT, work, env, "plugins"), "plugins again");
    List<String> names = names(cache);
    assertThat(names).as("plugins has its own archive; list, which never succeeded, has none").hasSize(2)
        .anyMatch(n -> n.endsWith("-plugins.jsa")).anyMatch(n -> n.matches(".*-list\\.[0-9]+\\.tmp"))
        .noneMatch(n -> n.endsWith("-list.jsa"));
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  @ParameterizedTest
  @EnumSource(Launcher.class)
  void encryptedBackupListVerifyAndRestoreThroughTheLauncherReproduceTheTree(Launcher launcher, @TempDir Path dir)
      throws Exception {
    Path tree = dir.resolve("tree");
    Files.createDirectories(tree.resolve("docs/deep/er"));
    Files.createDirectories(tree.resolve("empty-dir"));
    Files.writeString(tree.resolve("docs/readme.txt"), (MARKER + " ü\n").repeat(2000));
    Files.writeString(tree.resolve("docs/deep/er/ß ñ.txt"), "unicode name");
    byte[] random = new byte[300_000];
    new Random(42).nextBytes(random);
    Files.write(tree.resolve("random.bin"), random);
    Files.write(tree.resolve("empty"), new byte[0]);
    String repo = "file:" + dir.resolve("repo");
    Path key = dir.resolve("backup.key");

    Result gen = run(launcher, dir, "key", "generate", key.toString(), "--json");
    assertOk(gen, "key generate");
    String keyId = JSON.readTree(gen.out()).get("keyId").asText();
    assertThat(keyId).matches("[0-9a-f]+");
    assertThat(Files.readString(key)).matches("[0-9a-f]{64}\n");

    Result backup = run(launcher, dir, "backup", "--source", "files:" + tree, "--repo", repo,
        "--transform", "zstd", "--transform", "aes-gcm:keyFile=" + key, "--json");
    assertOk(backup, "backup");
    String id = JSON.readTree(backup.out()).get("id").asText();

    Result list = run(launcher, dir, "list", "--repo", repo, "--json");
    assertOk(list, "list --json");
    JsonNode listed = JSON.readTree(list.out());
    assertThat(listed.isArray()).as(list.out()).isTrue();
    assertThat(listed).hasSize(1);
    JsonNode entry = listed.get(0);
    assertThat(entry.get("id").asText()).isEqualTo(id);
    assertThat(entry.get("kind").asText()).isEqualTo("files");
    assertThat(entry.get("transforms").asText()).isEqualTo("zstd,aes-gcm");
    assertThat(entry.get("rawBytes").asLong()).isGreaterThan(random.length);
    // the stored bytes really went through the cipher: no trace of the plaintext, and the key id is recorded
    try (Stream<Path> s = Files.walk(dir.resolve("repo/data"))) {
      for (Path part : s.filter(Files::isRegularFile).toList()) {
        assertThat(new String(Files.readAllBytes(part), StandardCharsets.ISO_8859_1)).doesNotContain(MARKER);
      }
    }
    assertThat(Files.readString(dir.resolve("repo/catalog/" + id + ".json"))).contains(keyId);

    Result verify = run(launcher, dir, "verify", "--repo", repo, "latest",
        "--transform-option", "aes-gcm:keyFile=" + key);
    assertOk(verify, "verify latest");
    assertThat(verify.out()).contains(id).contains("verified");

    Path target = dir.resolve("restored");
    Result restore = run(launcher, dir, "restore", "--repo", repo, "latest", "--target", target.toString(),
        "--transform-option", "aes-gcm:keyFile=" + key);
    assertOk(restore, "restore latest");
    assertThat(Trees.snapshot(target)).isEqualTo(Trees.snapshot(tree));
  }

  @ParameterizedTest
  @EnumSource(Launcher.class)
  void pluginsListsEveryBundledProviderSoTheShadedServiceFilesWereMerged(Launcher launcher, @TempDir Path dir)
      throws Exception {
    Result r = run(launcher, dir, "plugins");
    assertOk(r, "plugins");
    Map<String, Set<String>> sections = new TreeMap<>();
    for (String line : r.out().lines().toList()) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        sections.computeIfAbsent(line.substring(0, colon).trim(), k -> new java.util.TreeSet<>())
            .addAll(Arrays.stream(line.substring(colon + 1).split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toSet()));
      }
    }
    assertThat(sections.get("sources")).as(r.out()).contains("files", "postgres", "redis");
    assertThat(sections.get("storages")).as(r.out()).contains("file", "s3");
    assertThat(sections.get("transforms")).as(r.out())
        .contains("zstd", "gzip", "lz4", "xz", "bzip2", "none", "aes-gcm", "pgp");
    assertThat(sections.get("retention")).as(r.out()).contains("keep");
    assertThat(sections).as("no provider failed to load: %s", r.out()).doesNotContainKey("problem");
  }
}
