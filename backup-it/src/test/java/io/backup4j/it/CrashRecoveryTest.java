package io.backup4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.BackupEvent;
import io.backup4j.api.BackupSession;
import io.backup4j.api.BackupSource;
import io.backup4j.api.Manifest;
import io.backup4j.api.PartWriter;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.core.RestoreJob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup process killed with SIGKILL in the middle of a part leaves no visible backup, and the next run of the same
 * backup set succeeds (breaking the dead process's lock) and removes the orphaned parts.
 */
class CrashRecoveryTest {
  static final String SET = "crash-test";

  /** Runs in the forked JVM: commits one part, writes half of a second one, then hangs until killed. */
  public static void main(String[] args) throws Exception {
    Path repo = Path.of(args[0]);
    try (Backups backups = Backups.builder().repository("file:" + repo).build()) {
      backups.backup(BackupJob.builder().backupSet(SET).source(new BackupSource() {
        @Override
        public String kind() {
          return "files";
        }

        @Override
        public String identity() {
          return "files:/crash";
        }

        @Override
        public void backup(BackupSession session) throws IOException {
          try (PartWriter w = session.openPart("first")) {
            w.stream().write(new byte[1 << 20]);
            w.commit();
          }
          try (PartWriter w = session.openPart("second")) {
            w.stream().write(new byte[1 << 20]);
            w.stream().flush();
            Files.writeString(repo.resolveSibling("child-ready"), "ready");
            Thread.sleep(600_000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }).build());
    }
  }

  @Test
  void processKilledMidBackupLeavesNothingVisibleAndNextRunCleansUp(@TempDir Path dir) throws Exception {
    Path repo = dir.resolve("repo");
    Path tree = dir.resolve("tree");
    Files.createDirectories(tree.resolve("sub"));
    Files.writeString(tree.resolve("sub/a.txt"), "hello");

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), CrashRecoveryTest.class.getName(),
        repo.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(dir.resolve("child-ready"))) {
        assertThat(child.isAlive()).as("child died early: %s", read(dir.resolve("child.log"))).isTrue();
        assertThat(System.nanoTime()).as("child did not reach the middle of the backup in 60 s").isLessThan(deadline);
        Thread.sleep(50);
      }
    } finally {
      child.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
      child.waitFor(30, TimeUnit.SECONDS);
    }
    assertThat(child.exitValue()).isEqualTo(137);

    List<BackupEvent> events = new CopyOnWriteArrayList<>();
    try (Backups backups = Backups.builder().repository("file:" + repo).listener(events::add).build()) {
      assertThat(backups.list()).as("a killed backup is not visible").isEmpty();
      List<String> before = keys(repo, "data");
      assertThat(before).as("the killed run committed its first part").anyMatch(k -> k.endsWith("/first"));
      assertThat(keys(repo, "locks")).hasSize(1);

      Manifest m = backups.backup(BackupJob.builder().backupSet(SET).source("files:" + tree).build());

      assertThat(backups.list()).extracting(Manifest::id).containsExactly(m.id());
      assertThat(keys(repo, "data")).allMatch(k -> k.startsWith("data/" + m.id() + "/"));
      assertThat(keys(repo, "pending")).isEmpty();
      assertThat(keys(repo, "locks")).isEmpty();
      assertThat(events).anyMatch(e -> e instanceof BackupEvent.Warning w && w.message().contains("stale lock"));
      assertThat(events).anyMatch(e -> e instanceof BackupEvent.Warning w && w.message().contains("interrupted backup"));

      backups.restore(m.id(), RestoreJob.builder(dir.resolve("restored").toString()).build());
      assertThat(Files.readString(dir.resolve("restored/sub/a.txt"))).isEqualTo("hello");
    }
  }

  /** Visible object keys under a top-level directory of a local repository (hidden temp files excluded). */
  static List<String> keys(Path repo, String top) throws IOException {
    Path root = repo.resolve(top);
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
          .map(p -> repo.relativize(p).toString()).sorted().toList();
    }
  }

  static String read(Path p) {
    try {
      return Files.exists(p) ? Files.readString(p) : "";
    } catch (IOException e) {
      return e.toString();
    }
  }

}
