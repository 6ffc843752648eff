package io.backup4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.cli.Main;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code backup4j backup} stopped by SIGTERM (systemd, Kubernetes, {@code kill}) or Ctrl-C cleans up before the JVM
 * exits: it cancels the run and waits for the engine to discard the part in flight, the in-flight marker and the
 * lock, instead of halting in the middle of that cleanup.
 */
class CliSignalTest {
  @Test
  void sigtermMidBackupDiscardsThePartialBackupAndReleasesTheLock(@TempDir Path dir) throws Exception {
    Path tree = Files.createDirectories(dir.resolve("tree"));
    byte[] data = new byte[16 << 20];
    new Random(7).nextBytes(data);
    Files.write(tree.resolve("big.bin"), data);
    Path repo = dir.resolve("repo");
    Path log = dir.resolve("child.log");

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // 16 MiB at 256 KiB/s takes a minute: the signal arrives while the part is being written, however slow the
    // machine; and each throttled write sleeps about a second at most, far below the CLI's 30 s cleanup grace
    Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Main.class.getName(),
        "backup", "--source", "files:" + tree, "--repo", "file:" + repo, "--set", "media", "--no-progress",
        "--max-write-rate", "256KiB")
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (inFlightBytes(repo.resolve("data")) == 0) {
        assertThat(child.isAlive()).as("the backup ended before it was signalled: %s", read(log)).isTrue();
        assertThat(System.nanoTime()).as("no part was being written within 120 s: %s", read(log)).isLessThan(deadline);
        Thread.sleep(50);
      }
      assertThat(files(repo.resolve("locks"))).as("lock held while the backup runs").hasSize(1);
      child.destroy(); // SIGTERM: shutdown hooks run
      assertThat(child.waitFor(120, TimeUnit.SECONDS)).as("the CLI exits after SIGTERM: %s", read(log)).isTrue();
    } finally {
      child.destroyForcibly();
    }

    assertThat(child.exitValue()).as(read(log)).isEqualTo(128 + 15);
    assertThat(files(repo.resolve("catalog"))).as("no backup is visible").isEmpty();
    assertThat(files(repo.resolve("data"))).as("the partial part (and its temporary file) is removed").isEmpty();
    assertThat(files(repo.resolve("pending"))).as("the in-flight marker is removed").isEmpty();
    assertThat(files(repo.resolve("locks"))).as("the lock is released").isEmpty();
    assertThat(read(log)).contains("cancelling");
  }

  /** Bytes in the hidden temporary files of writes in progress under {@code root}. */
  static long inFlightBytes(Path root) throws IOException {
    long n = 0;
    for (Path p : files(root)) {
      if (p.getFileName().toString().startsWith(".backup4j-tmp-")) {
        try {
          n += Files.size(p);
        } catch (java.nio.file.NoSuchFileException e) {
          // committed or removed meanwhile
        }
      }
    }
    return n;
  }

  /** Every regular file under {@code root}, hidden ones included. */
  static List<Path> files(Path root) throws IOException {
    if (!Files.exists(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).toList();
    } catch (java.io.UncheckedIOException e) {
      return files(root); // a file vanished during the walk: look again
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
