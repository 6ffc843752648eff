package io.backup4j.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.ConfigurationException;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.Manifest;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.PartInfo;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.core.RestoreJob;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files backups through the real engine and local storage, found by the {@code files:} scheme. */
class FilesEngineTest {
  @TempDir static Path shared;
  static Path tree;
  static Map<String, String> original;
  static Path small;
  static Map<String, String> smallOriginal;

  @TempDir Path tmp;

  @BeforeAll
  static void generate() throws IOException {
    tree = shared.resolve("tree");
    TestTrees.generate(tree, shared.resolve("outside"), 3000);
    original = TestTrees.snapshot(tree);
    small = shared.resolve("small");
    TestTrees.generate(small, shared.resolve("outside"), 100);
    smallOriginal = TestTrees.snapshot(small);
  }

  private Backups backups() {
    return Backups.builder().repository("file:" + tmp.resolve("repo")).build();
  }

  private static BackupJob job() {
    return BackupJob.builder().source("files:" + tree).label("test", "files").build();
  }

  private static BackupJob smallJob() {
    return BackupJob.builder().source("files:" + small).build();
  }

  @Test
  void backupVerifyRestoreRoundTripReproducesTheTree() throws IOException {
    Path target = tmp.resolve("restored");
    try (Backups backups = backups()) {
      Manifest m = backups.backup(job());
      assertThat(m.sourceKind()).isEqualTo("files");
      assertThat(m.sourceIdentity()).isEqualTo("files:" + tree);
      assertThat(m.parts()).extracting(PartInfo::name).containsExactly("tree.tar");
      assertThat(m.sourceMetadata()).containsEntry("root", tree.toString())
          .containsKeys("fileCount", "totalBytes", "directoryCount", "symlinkCount");
      backups.verify(m.id());
      backups.restore(m.id(), RestoreJob.builder(target.toString()).build());
    }
    assertThat(TestTrees.snapshot(target)).containsExactlyInAnyOrderEntriesOf(original);
  }

  @Test
  void twoBackupsOfAnUnchangedTreeHaveTheSameRawSha256() {
    try (Backups backups = backups()) {
      PartInfo first = backups.backup(job()).part("tree.tar").orElseThrow();
      PartInfo second = backups.backup(job()).part("tree.tar").orElseThrow();
      assertThat(second.rawSha256()).isEqualTo(first.rawSha256());
      assertThat(second.rawSize()).isEqualTo(first.rawSize());
    }
  }

  @Test
  void excludeOptionReachesTheSource() throws IOException {
    Path target = tmp.resolve("restored");
    try (Backups backups = backups()) {
      Manifest m = backups.backup(BackupJob.builder().source("files:" + small).sourceOption("exclude", "*.bin,d1/**")
          .build());
      backups.restore(m.id(), RestoreJob.builder("file:" + target).build());
    }
    Map<String, String> restored = TestTrees.snapshot(target);
    assertThat(restored.keySet()).noneMatch(k -> k.endsWith(".bin")).noneMatch(k -> k.startsWith("d1/"))
        .contains("d1", "d0/sub0/f91.txt", "links/dir-inside");
  }

  @Test
  void restoreOntoANonEmptyDirectoryFailsAndWritesNothingUnlessOverwriteIsSet() throws IOException {
    Path target = Files.createDirectories(tmp.resolve("busy"));
    Files.writeString(target.resolve("mine"), "mine");
    try (Backups backups = backups()) {
      Manifest m = backups.backup(smallJob());
      assertThatThrownBy(() -> backups.restore(m.id(), RestoreJob.builder(target.toString()).build()))
          .isInstanceOf(ConfigurationException.class).hasMessageContaining("not empty")
          .hasMessageContaining("overwrite=true");
      assertThat(TestTrees.listing(target)).containsExactly("mine");
      assertThat(TestTrees.listing(tmp)).containsExactlyInAnyOrder("busy", "repo");

      backups.restore(m.id(), RestoreJob.builder(target.toString()).option("overwrite", "true").build());
    }
    Map<String, String> restored = TestTrees.snapshot(target);
    assertThat(restored.remove("mine")).isNotNull();
    assertThat(restored.remove("")).isNotNull(); // the root's mtime moved when "mine" was kept
    Map<String, String> expected = new java.util.TreeMap<>(smallOriginal);
    expected.remove("");
    assertThat(restored).containsExactlyInAnyOrderEntriesOf(expected);
  }

  @Test
  void aFlippedByteInTheStoredPartFailsTheRestoreAndLeavesNoTarget() throws IOException {
    Path target = tmp.resolve("never");
    try (Backups backups = backups()) {
      Manifest m = backups.backup(smallJob());
      Path stored;
      try (Stream<Path> s = Files.walk(tmp.resolve("repo"))) {
        stored = s.filter(p -> p.getFileName().toString().startsWith("tree.tar")).findFirst().orElseThrow();
      }
      // flip a byte near the end: the tar up to there is valid, only the checksum at end-of-stream catches it
      try (FileChannel ch = FileChannel.open(stored, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        long pos = ch.size() - 3000;
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
        ch.read(b, pos);
        b.put(0, (byte) (b.get(0) ^ 0x40)).rewind();
        ch.write(b, pos);
      }
      assertThatThrownBy(() -> backups.restore(m.id(), RestoreJob.builder(target.toString()).build()))
          .isInstanceOf(IntegrityException.class).hasMessageContaining("tree.tar");
    }
    assertThat(target).doesNotExist();
    assertThat(TestTrees.listing(tmp)).containsExactly("repo");
  }

  @Test
  void aMissingSourceDirectoryFailsWithoutAVisibleBackup() {
    Path missing = tmp.resolve("no-such-dir");
    try (Backups backups = backups()) {
      assertThatThrownBy(() -> backups.backup(BackupJob.builder().source("files:" + missing).build()))
          .isInstanceOf(NotFoundException.class).hasMessageContaining(missing.toString());
    }
    // nothing was written: the repository was not even created, and a files source opens no part before its check
    assertThat(tmp.resolve("repo")).doesNotExist();
  }
}
