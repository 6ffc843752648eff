package io.backup4j.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.BackupSource;
import io.backup4j.api.CancelledException;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.RestoreTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Source and target against in-test sessions: round trip, determinism, safety of the restore. */
class FilesRoundTripTest {
  private static final FilesSourceProvider PROVIDER = new FilesSourceProvider();

  @TempDir static Path shared;
  static Path tree;
  static Path outside;
  static Map<String, String> original;
  static FakeBackupSession backup;
  /** The same cases with fewer files, for the tests about where and whether a restore writes. */
  static Map<String, String> smallOriginal;
  static FakeBackupSession smallBackup;

  @TempDir Path tmp;

  @BeforeAll
  static void backUpGeneratedTree() throws IOException {
    tree = shared.resolve("tree");
    outside = shared.resolve("outside");
    TestTrees.generate(tree, outside, 3000);
    original = TestTrees.snapshot(tree);
    backup = backUp(tree, Map.of(), Files.createDirectories(shared.resolve("backup1")));
    Path small = shared.resolve("small");
    TestTrees.generate(small, outside, 100);
    smallOriginal = TestTrees.snapshot(small);
    smallBackup = backUp(small, Map.of(), Files.createDirectories(shared.resolve("backup2")));
  }

  static FakeBackupSession backUp(Path root, Map<String, String> options, Path partDir) throws IOException {
    FakeBackupSession session = new FakeBackupSession(Files.createDirectories(partDir));
    try (BackupSource source = PROVIDER.openSource(uri(root), options, TestTrees.CTX)) {
      source.backup(session);
    }
    return session;
  }

  static java.net.URI uri(Path root) {
    try {
      return new java.net.URI("files", null, root.toString(), null);
    } catch (java.net.URISyntaxException e) {
      throw new AssertionError(e);
    }
  }

  static void restore(Path tar, Path target, Map<String, String> options) throws IOException {
    try (RestoreTarget t = PROVIDER.openTarget(target.toString(), options, TestTrees.CTX)) {
      t.restore(new FakeRestoreSession(tar));
    }
  }

  @Test
  void restoredTreeEqualsTheOriginalByteForByteWithModesMtimesAndLinks() throws IOException {
    Path target = tmp.resolve("restored");
    restore(backup.part(), target, Map.of());

    Map<String, String> restored = TestTrees.snapshot(target);
    assertThat(restored).containsExactlyInAnyOrderEntriesOf(original);
    assertThat(original).hasSizeGreaterThan(3000);
    assertThat(Files.isSameFile(target.resolve("hard/a"), target.resolve("hard/b"))).as("hard link kept").isTrue();
    assertThat(TestTrees.listing(tmp)).containsExactly("restored"); // no staging directory left behind
  }

  @Test
  void originalTreeHasTheCasesTheRoundTripMustCover() {
    assertThat(original.keySet()).contains(
        "links/outside-abs", "links/dir-inside", "empty", "empty2/nested/empty", "bin/run.sh",
        TestTrees.UNICODE_DIR + "/" + TestTrees.UNICODE_FILE,
        TestTrees.LONG_SEGMENT + "/" + TestTrees.LONG_SEGMENT + "/" + TestTrees.LONG_SEGMENT + ".txt");
    assertThat(original.get("bin/run.sh")).contains("mode=0755");
    assertThat(original.get("bin/setuid")).contains("mode=4755");
    assertThat(original.get("shared")).contains("mode=2775");
    assertThat(original.get("links/outside-abs")).contains("link -> " + outside.resolve("secret.txt"));
  }

  @Test
  void symbolicLinksAreStoredAsLinksAndNeverFollowed() throws IOException {
    List<String> entries = TestTrees.entries(backup.part());
    assertThat(entries).contains("links/outside-dir", "links/dir-inside", "./");
    assertThat(entries).noneMatch(e -> e.startsWith("links/outside-dir/") || e.startsWith("links/dir-inside/"));
    assertThat(entries).noneMatch(e -> e.contains("secret.txt"));
  }

  @Test
  void entriesAreWrittenInSortedPreOrder() throws IOException {
    List<String> entries = TestTrees.entries(backup.part());
    assertThat(entries.get(0)).isEqualTo("./");
    assertThat(entries).containsSubsequence("bin/", "bin/private.key", "bin/read-only", "bin/run.sh", "bin/setuid");
    assertThat(entries.indexOf("d0/")).isLessThan(entries.indexOf("d0/sub0/"));
  }

  @Test
  void metadataRecordsRootCountsAndBytes() {
    assertThat(backup.metadata).containsEntry("root", tree.toString()).containsEntry("format", "pax-tar");
    long files = original.values().stream().filter(v -> v.startsWith("file")).count();
    assertThat(backup.metadata).containsEntry("fileCount", Long.toString(files));
    long bytes = original.entrySet().stream()
        .filter(e -> e.getValue().startsWith("file") && !e.getKey().equals("hard/b")) // b is a link to hard/a
        .mapToLong(e -> Long.parseLong(e.getValue().replaceAll(".* size=(\\d+) .*", "$1"))).sum();
    assertThat(backup.metadata).containsEntry("totalBytes", Long.toString(bytes)).containsEntry("hardLinkCount", "1");
    assertThat(backup.warnings).isEmpty();
    assertThat(backup.progress).contains("bin/run.sh");
  }

  @Test
  void twoBackupsOfTheSameTreeAreByteIdentical() throws IOException {
    FakeBackupSession second = backUp(tree, Map.of(), tmp);
    assertThat(TestTrees.sha256(second.part())).isEqualTo(TestTrees.sha256(backup.part()));
  }

  @Test
  void systemTarReadsTheArchive() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/tar")),
        "GNU tar is not installed at /usr/bin/tar; this interoperability check needs it (CI installs it)");
    Path target = Files.createDirectories(tmp.resolve("by-gnu-tar"));
    Process p = new ProcessBuilder(List.of("/usr/bin/tar", "-x", "-p", "-f", backup.part().toString(), "-C",
        target.toString())).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    assertThat(TestTrees.snapshot(target)).containsExactlyInAnyOrderEntriesOf(original);
  }

  @Test
  void excludeGlobsMatchNamesAtAnyDepthAndPathsFromTheRoot() throws IOException {
    Path root = tmp.resolve("ex");
    Files.createDirectories(root.resolve("a/b"));
    Files.createDirectories(root.resolve("cache/sub"));
    Files.createDirectories(root.resolve("a/cache"));
    Files.createDirectories(root.resolve("a/build"));
    for (String f : List.of("keep.txt", "x.tmp", "a/y.tmp", "a/b/z.tmp", "a/b/keep", "cache/c1", "cache/sub/c2",
        "a/cache/kept", "build", "a/build/out")) {
      Files.writeString(root.resolve(f), f);
    }

    FakeBackupSession s = backUp(root, Map.of("exclude", "*.tmp, cache/**, build/"), tmp.resolve("p"));

    assertThat(TestTrees.entries(s.part())).containsExactly(
        "./", "a/", "a/b/", "a/b/keep", "a/cache/", "a/cache/kept", "build", "cache/", "keep.txt");
    assertThat(s.metadata).containsEntry("exclude", "*.tmp, cache/**, build/");
  }

  @Test
  void aFileDeletedDuringTheWalkIsSkippedWithAWarning() throws IOException {
    Path root = tmp.resolve("vanish");
    Files.createDirectories(root.resolve("dir"));
    Files.writeString(root.resolve("a"), "a");
    Files.writeString(root.resolve("b"), "b");
    Files.writeString(root.resolve("dir/c"), "c");
    Files.writeString(root.resolve("z"), "z");
    FakeBackupSession s = new FakeBackupSession(Files.createDirectories(tmp.resolve("p")));
    s.onProgress = m -> {
      if (m.equals("a")) {
        try {
          Files.delete(root.resolve("b"));
          Files.delete(root.resolve("dir/c"));
          Files.delete(root.resolve("dir"));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    };
    try (BackupSource source = PROVIDER.openSource(uri(root), Map.of(), TestTrees.CTX)) {
      source.backup(s);
    }
    assertThat(TestTrees.entries(s.part())).containsExactly("./", "a", "z");
    assertThat(s.warnings).hasSize(2).allMatch(w -> w.contains("deleted while the backup was running"));
    assertThat(s.warnings.get(0)).contains("b");
    assertThat(s.metadata).containsEntry("skippedCount", "2").containsEntry("fileCount", "2");
  }

  @Test
  void aFileThatShrinksWhileReadIsPaddedToItsHeaderSizeAndReported() throws IOException {
    Path root = tmp.resolve("shrink");
    Files.createDirectories(root);
    Files.write(root.resolve("f"), new byte[200_000]);
    Files.writeString(root.resolve("g"), "after");
    FakeBackupSession s = changingBackup(root, f -> Files.write(f, "tiny".getBytes()));

    assertThat(s.warnings).singleElement().asString().contains("changed while it was read: f").contains("shrank");
    Path back = tmp.resolve("back");
    restore(s.part(), back, Map.of());
    byte[] expected = new byte[200_000];
    System.arraycopy("tiny".getBytes(), 0, expected, 0, 4);
    assertThat(Files.readAllBytes(back.resolve("f"))).isEqualTo(expected);
    assertThat(Files.readString(back.resolve("g"))).isEqualTo("after");
  }

  @Test
  void aFileThatGrowsWhileReadIsCutAtItsHeaderSizeAndReported() throws IOException {
    Path root = tmp.resolve("grow");
    Files.createDirectories(root);
    Files.writeString(root.resolve("f"), "0123456789");
    Files.writeString(root.resolve("g"), "after");
    FakeBackupSession s = changingBackup(root,
        f -> Files.writeString(f, "and more", java.nio.file.StandardOpenOption.APPEND));

    assertThat(s.warnings).singleElement().asString().contains("changed while it was read: f").contains("grew");
    Path back = tmp.resolve("back");
    restore(s.part(), back, Map.of());
    assertThat(Files.readString(back.resolve("f"))).isEqualTo("0123456789");
    assertThat(Files.readString(back.resolve("g"))).isEqualTo("after");
  }

  private FakeBackupSession changingBackup(Path root, FilesSource.ReadHook change) throws IOException {
    FakeBackupSession s = new FakeBackupSession(Files.createDirectories(tmp.resolve("p")));
    FilesSource source = new FilesSource(root, Excludes.none(), f -> {
      if (f.getFileName().toString().equals("f")) {
        change.beforeRead(f);
      }
    });
    source.backup(s);
    return s;
  }

  @Test
  void aDirectorySwappedForASymlinkBeforeItIsOpenedIsNotFollowed() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("swap"));
    Files.createDirectories(root.resolve("dir"));
    Files.writeString(root.resolve("dir/own"), "own");
    FakeBackupSession s = new FakeBackupSession(Files.createDirectories(tmp.resolve("p")));
    FilesSource source = new FilesSource(root, Excludes.none(), new FilesSource.ReadHook() {
      @Override
      public void beforeRead(Path file) {}

      @Override
      public void beforeOpenDirectory(Path dir) throws IOException {
        if (dir.getFileName().toString().equals("dir")) {
          // examined as a directory, replaced by a link to somewhere outside before it is listed
          Files.move(dir, root.resolve("moved"));
          Files.createSymbolicLink(dir, outside);
        }
      }
    });
    source.backup(s);

    assertThat(TestTrees.entries(s.part())).noneMatch(e -> e.contains("secret") || e.startsWith("dir/"));
    assertThat(s.warnings).anyMatch(w -> w.contains("dir") && w.contains("replaced"));
  }

  @Test
  void aParentDirectorySwappedForASymlinkDuringTheWalkIsNotFollowed() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("swap"));
    Files.createDirectories(root.resolve("dir"));
    Files.writeString(root.resolve("dir/a"), "a");
    Files.writeString(root.resolve("dir/secret.txt"), "the tree's own secret.txt");
    FakeBackupSession s = new FakeBackupSession(Files.createDirectories(tmp.resolve("p")));
    FilesSource source = new FilesSource(root, Excludes.none(), f -> {
      if (f.getFileName().toString().equals("a")) {
        // while dir/ is being walked, it moves away and a link to outside (which has a secret.txt) takes its name
        Files.move(root.resolve("dir"), root.resolve("moved"));
        Files.createSymbolicLink(root.resolve("dir"), outside);
      }
    });
    source.backup(s);

    try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(
        Files.newInputStream(s.part()), "UTF-8")) {
      org.apache.commons.compress.archivers.tar.TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        String content = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(content).as(e.getName()).doesNotContain("outside the tree");
      }
    }
  }

  @Test
  void cancellationStopsTheBackupWithoutCommittingThePart() throws IOException {
    FakeBackupSession s = new FakeBackupSession(tmp);
    s.onProgress = m -> s.cancellation.cancel();
    try (BackupSource source = PROVIDER.openSource(uri(tree), Map.of(), TestTrees.CTX)) {
      assertThatThrownBy(() -> source.backup(s)).isInstanceOf(CancelledException.class);
    }
    assertThat(s.parts).isEmpty();
    assertThat(TestTrees.listing(tmp)).isEmpty();
  }

  @Test
  void restoreOntoANonEmptyDirectoryIsRefusedAndWritesNothing() throws IOException {
    Path target = Files.createDirectories(tmp.resolve("busy"));
    Files.writeString(target.resolve("mine.txt"), "keep me");

    assertThatThrownBy(() -> restore(smallBackup.part(), target, Map.of()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining(target.toString()).hasMessageContaining("not empty").hasMessageContaining("overwrite=true");
    assertThat(TestTrees.listing(target)).containsExactly("mine.txt");
    assertThat(TestTrees.listing(tmp)).containsExactly("busy");
  }

  @Test
  void restoreWithOverwriteReplacesCommonEntriesAndKeepsOthers() throws IOException {
    Path target = Files.createDirectories(tmp.resolve("busy"));
    Files.writeString(target.resolve("mine.txt"), "keep me");
    Files.writeString(target.resolve("big.bin"), "to be replaced");
    Files.createDirectories(target.resolve("bin"));
    Files.writeString(target.resolve("bin/extra"), "extra");
    Files.createSymbolicLink(target.resolve("empty"), outside); // replaced by the directory, not followed

    restore(smallBackup.part(), target, Map.of("overwrite", "true"));

    Map<String, String> restored = TestTrees.snapshot(target);
    assertThat(restored).containsAllEntriesOf(Map.of("big.bin", smallOriginal.get("big.bin"),
        "empty", smallOriginal.get("empty"), "bin/run.sh", smallOriginal.get("bin/run.sh"), "", smallOriginal.get("")));
    assertThat(Files.readString(target.resolve("mine.txt"))).isEqualTo("keep me");
    assertThat(Files.readString(target.resolve("bin/extra"))).isEqualTo("extra");
    restored.keySet().removeAll(List.of("mine.txt", "bin/extra", "bin"));
    Map<String, String> expected = new java.util.TreeMap<>(smallOriginal);
    expected.remove("bin");
    assertThat(restored).containsExactlyInAnyOrderEntriesOf(expected);
    assertThat(TestTrees.listing(outside)).containsExactly("secret.txt");
    assertThat(TestTrees.listing(tmp)).containsExactly("busy");
  }

  @Test
  void restoreOntoAnEmptyExistingDirectoryWorks() throws IOException {
    Path target = Files.createDirectories(tmp.resolve("empty-target"));
    restore(smallBackup.part(), target, Map.of("fsync", "false")); // the scratch-restore path, without fsync
    assertThat(TestTrees.snapshot(target)).containsExactlyInAnyOrderEntriesOf(smallOriginal);
    assertThat(TestTrees.listing(tmp)).containsExactly("empty-target");
  }

  @Test
  void aPartThatFailsVerificationAtItsEndLeavesNoTraceOfTheRestore() throws IOException {
    Path target = tmp.resolve("never");
    FakeRestoreSession session = new FakeRestoreSession(smallBackup.part());
    session.failAtEnd = true;
    try (RestoreTarget t = PROVIDER.openTarget(target.toString(), Map.of(), TestTrees.CTX)) {
      assertThatThrownBy(() -> t.restore(session)).isInstanceOf(IntegrityException.class);
    }
    assertThat(target).doesNotExist();
    assertThat(TestTrees.listing(tmp)).isEmpty();
  }

  @Test
  void aCancelledRestoreLeavesTheTargetAsItWas() throws IOException {
    Path target = Files.createDirectories(tmp.resolve("t"));
    FakeRestoreSession session = new FakeRestoreSession(smallBackup.part());
    session.cancellation.cancel();
    try (RestoreTarget t = PROVIDER.openTarget("file:" + target, Map.of(), TestTrees.CTX)) {
      assertThatThrownBy(() -> t.restore(session)).isInstanceOf(CancelledException.class);
    }
    assertThat(TestTrees.listing(target)).isEmpty();
    assertThat(TestTrees.listing(tmp)).containsExactly("t");
  }
}
