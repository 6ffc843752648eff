package io.backup4j.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.IntegrityException;
import io.backup4j.api.RestoreTarget;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malicious tars fed to the restore target: every one is refused naming the entry, nothing is written outside the
 * target, the target is left as it was and no staging directory remains.
 */
class ZipSlipTest {
  @TempDir Path tmp;
  Path parent;
  Path outside;
  Path target;

  @BeforeEach
  void layout() throws IOException {
    parent = Files.createDirectories(tmp.resolve("restore-here"));
    outside = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(outside.resolve("victim"), "original");
    target = parent.resolve("target");
  }

  /** A tar under construction; names are written exactly as given (absolute names are kept). */
  private final class Tar {
    private final List<Object[]> entries = new ArrayList<>();

    Tar file(String name, String content) {
      entries.add(new Object[] {name, TarConstants.LF_NORMAL, content});
      return this;
    }

    Tar dir(String name) {
      entries.add(new Object[] {name, TarConstants.LF_DIR, null});
      return this;
    }

    Tar symlink(String name, String linkTarget) {
      entries.add(new Object[] {name, TarConstants.LF_SYMLINK, linkTarget});
      return this;
    }

    Tar hardlink(String name, String linkTarget) {
      entries.add(new Object[] {name, TarConstants.LF_LINK, linkTarget});
      return this;
    }

    Tar special(String name, byte type) {
      entries.add(new Object[] {name, type, ""});
      return this;
    }

    Path write() throws IOException {
      Path p = tmp.resolve("evil-" + System.nanoTime() + ".tar");
      try (OutputStream os = Files.newOutputStream(p);
          TarArchiveOutputStream tar = new TarArchiveOutputStream(os, "UTF-8")) {
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        for (Object[] e : entries) {
          String name = (String) e[0];
          byte type = (Byte) e[1];
          TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
          byte[] data = new byte[0];
          if (type == TarConstants.LF_NORMAL) {
            data = ((String) e[2]).getBytes(StandardCharsets.UTF_8);
            entry.setSize(data.length);
          } else if (type == TarConstants.LF_SYMLINK || type == TarConstants.LF_LINK) {
            entry.setLinkName((String) e[2]);
          }
          tar.putArchiveEntry(entry);
          tar.write(data);
          tar.closeArchiveEntry();
        }
      }
      return p;
    }
  }

  private void assertRefused(Path tar, String entry) throws IOException {
    assertRefused(tar, entry, Map.of());
  }

  private void assertRefused(Path tar, String entry, Map<String, String> options) throws IOException {
    List<String> before = Files.exists(target) ? TestTrees.listing(target) : null;
    try (RestoreTarget t = new FilesSourceProvider().openTarget(target.toString(), options, TestTrees.CTX)) {
      assertThatThrownBy(() -> t.restore(new FakeRestoreSession(tar)))
          .isInstanceOf(IntegrityException.class)
          .hasMessageContaining("'" + entry + "'");
    }
    assertThat(TestTrees.listing(outside)).containsExactly("victim");
    assertThat(Files.readString(outside.resolve("victim"))).isEqualTo("original");
    assertThat(tmp.resolve("evil")).doesNotExist();
    if (before == null) {
      assertThat(TestTrees.listing(parent)).isEmpty(); // no target, no staging directory
    } else {
      assertThat(TestTrees.listing(target)).isEqualTo(before);
      assertThat(TestTrees.listing(parent)).containsExactly("target");
    }
  }

  @Test
  void entryWithDotDotIsRefused() throws IOException {
    Path tar = new Tar().file("ok.txt", "fine").file("../evil", "escaped").write();
    assertRefused(tar, "../evil");
  }

  @Test
  void entryWithDotDotInTheMiddleIsRefused() throws IOException {
    Path tar = new Tar().dir("a/").file("a/../../../outside/victim", "overwritten").write();
    assertRefused(tar, "a/../../../outside/victim");
  }

  @Test
  void absoluteEntryIsRefused() throws IOException {
    String abs = outside.resolve("victim").toString();
    Path tar = new Tar().file(abs, "overwritten").write();
    assertRefused(tar, abs);
  }

  @Test
  void fileWrittenThroughASymlinkPointingOutsideIsRefused() throws IOException {
    Path tar = new Tar().symlink("link", outside.toString()).file("link/victim", "overwritten").write();
    assertRefused(tar, "link/victim");
  }

  @Test
  void fileWrittenThroughARelativeSymlinkIsRefused() throws IOException {
    Path tar = new Tar().dir("d/").symlink("d/up", "../../../outside").file("d/up/victim", "overwritten").write();
    assertRefused(tar, "d/up/victim");
  }

  @Test
  void directoryCreatedThroughASymlinkIsRefused() throws IOException {
    Path tar = new Tar().symlink("link", outside.toString()).dir("link/newdir/").write();
    assertRefused(tar, "link/newdir/");
  }

  @Test
  void fileReplacingAnEarlierSymlinkOfTheSameNameIsRefused() throws IOException {
    // writing "victim-link" as a file must not open the link and write to its target
    Path tar = new Tar().symlink("victim-link", outside.resolve("victim").toString())
        .file("victim-link", "overwritten").write();
    assertRefused(tar, "victim-link");
  }

  @Test
  void hardLinkToAFileOutsideIsRefused() throws IOException {
    Path tar = new Tar().hardlink("h", "../outside/victim").write();
    assertRefused(tar, "h");
  }

  @Test
  void hardLinkThroughASymlinkIsRefused() throws IOException {
    Path tar = new Tar().symlink("link", outside.toString()).hardlink("h", "link/victim").write();
    assertRefused(tar, "h");
  }

  @Test
  void maliciousEntriesAreRefusedWithOverwriteIntoAnExistingTargetToo() throws IOException {
    Files.createDirectories(target);
    Files.writeString(target.resolve("existing"), "mine");
    Path tar = new Tar().file("good", "x").symlink("link", outside.toString()).file("link/victim", "bad").write();
    assertRefused(tar, "link/victim", Map.of("overwrite", "true"));
    assertThat(Files.readString(target.resolve("existing"))).isEqualTo("mine");
  }

  @Test
  void symlinksPointingOutsideAreRestoredAsLinksWithTheirStoredText() throws IOException {
    Path tar = new Tar().symlink("abs", outside.resolve("victim").toString()).symlink("rel", "../../outside/victim")
        .file("plain", "p").write();
    try (RestoreTarget t = new FilesSourceProvider().openTarget(target.toString(), Map.of(), TestTrees.CTX)) {
      t.restore(new FakeRestoreSession(tar));
    }
    assertThat(Files.readSymbolicLink(target.resolve("abs"))).isEqualTo(outside.resolve("victim"));
    assertThat(Files.readSymbolicLink(target.resolve("rel"))).hasToString("../../outside/victim");
    assertThat(Files.readString(target.resolve("plain"))).isEqualTo("p");
    assertThat(Files.readString(outside.resolve("victim"))).isEqualTo("original");
  }

  @Test
  void fifoAndDeviceEntriesOfForeignTarsAreSkippedWithAWarning() throws IOException {
    Path tar = new Tar().file("plain", "p").special("fifo", TarConstants.LF_FIFO)
        .special("tty", TarConstants.LF_CHR).write();
    FakeRestoreSession session = new FakeRestoreSession(tar);
    try (RestoreTarget t = new FilesSourceProvider().openTarget(target.toString(), Map.of(), TestTrees.CTX)) {
      t.restore(session);
    }
    assertThat(TestTrees.listing(target)).containsExactly("plain");
    assertThat(session.warnings).hasSize(2).allMatch(w -> w.contains("not restored"));
  }

  @Test
  void aTargetThatIsASymlinkToAnEmptyDirectoryRestoresIntoThatDirectory() throws IOException {
    Path real = Files.createDirectories(tmp.resolve("real"));
    Files.createSymbolicLink(target, real);
    Path tar = new Tar().file("plain", "p").write();
    try (RestoreTarget t = new FilesSourceProvider().openTarget(target.toString(), Map.of(), TestTrees.CTX)) {
      t.restore(new FakeRestoreSession(tar));
    }
    assertThat(Files.isSymbolicLink(target)).isTrue();
    assertThat(Files.readString(real.resolve("plain"))).isEqualTo("p");
  }

  @Test
  void safeNameNormalisesHarmlessForms() {
    assertThat(FilesRestoreTarget.safeName("./a//b/./c/")).isEqualTo("a/b/c");
    assertThat(FilesRestoreTarget.safeName("./")).isEmpty();
    assertThat(FilesRestoreTarget.safeName("a..b/..c")).isEqualTo("a..b/..c");
    assertThatThrownBy(() -> FilesRestoreTarget.safeName("a/\0b")).isInstanceOf(IntegrityException.class);
    assertThatThrownBy(() -> FilesRestoreTarget.safeName("")).isInstanceOf(IntegrityException.class);
  }
}
