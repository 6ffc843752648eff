package io.backup4j.files;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.BackupSource;
import io.backup4j.testkit.TestProviderContext;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Entries a tar cannot or should not hold: sockets, FIFOs, names that are not UTF-8, hard links. */
class SpecialFilesTest {
  @TempDir Path tmp;

  private FakeBackupSession backUp(Path root) throws IOException {
    FakeBackupSession s = new FakeBackupSession(Files.createDirectories(tmp.resolve("parts")));
    try (BackupSource source = new FilesSourceProvider().openSource(FilesRoundTripTest.uri(root), Map.of(),
        TestProviderContext.of(tmp))) {
      source.backup(s);
    }
    return s;
  }

  @Test
  void socketsAndFifosAreSkippedWithAWarning() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("tree"));
    Files.writeString(root.resolve("a"), "a");
    try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.bind(UnixDomainSocketAddress.of(root.resolve("sock")));
      boolean fifo = Files.isExecutable(Path.of("/usr/bin/mkfifo"))
          && new ProcessBuilder("/usr/bin/mkfifo", root.resolve("fifo").toString()).start().waitFor() == 0;

      FakeBackupSession s = backUp(root);

      assertThat(TestTrees.entries(s.part())).containsExactly("./", "a");
      assertThat(s.warnings).anyMatch(w -> w.contains("sock") && w.contains("not backed up"));
      if (fifo) {
        assertThat(s.warnings).anyMatch(w -> w.contains("fifo") && w.contains("not backed up"));
      }
      assertThat(s.metadata).containsEntry("skippedCount", fifo ? "2" : "1");
    }
  }

  @Test
  void aNameThatIsNotUtf8IsBackedUpWithAReplacementCharacterAndAWarning() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/sh")), "needs /bin/sh to create a non-UTF-8 name");
    Path root = Files.createDirectories(tmp.resolve("tree"));
    // Java cannot spell the byte 0xFF in a file name; the shell can
    Process p = new ProcessBuilder(List.of("/bin/sh", "-c", "printf content > \"$(printf 'bad\\377name')\""))
        .directory(root.toFile()).start();
    assertThat(p.waitFor()).isZero();

    FakeBackupSession s = backUp(root);

    assertThat(TestTrees.entries(s.part())).containsExactly("./", "bad\uFFFDname");
    assertThat(s.warnings).singleElement().asString().contains("not valid UTF-8");
    Path target = tmp.resolve("restored");
    FilesRoundTripTest.restore(s.part(), target, Map.of());
    assertThat(Files.readString(target.resolve("bad\uFFFDname"))).isEqualTo("content");
  }

  @Test
  void ownersAreRestoredWhenRestoringAsRoot() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("tree"));
    Assumptions.assumeTrue(Integer.valueOf(0).equals(Files.getAttribute(root, "unix:uid")),
        "restoring owners needs root; this JVM is not running as root");
    Path sub = Files.createDirectories(root.resolve("sub"));
    Path f = Files.writeString(sub.resolve("f"), "x");
    Files.setAttribute(f, "unix:uid", 1234);
    Files.setAttribute(f, "unix:gid", 2345);
    Files.setAttribute(sub, "unix:uid", 1235);
    TestTrees.mode(f, 02750); // chown clears set-gid: it must be restored after the owner

    FakeBackupSession s = backUp(root);
    Path target = tmp.resolve("restored");
    FilesRoundTripTest.restore(s.part(), target, Map.of());

    assertThat(Files.getAttribute(target.resolve("sub/f"), "unix:uid")).isEqualTo(1234);
    assertThat(Files.getAttribute(target.resolve("sub/f"), "unix:gid")).isEqualTo(2345);
    assertThat((Integer) Files.getAttribute(target.resolve("sub/f"), "unix:mode") & 07777).isEqualTo(02750);
    assertThat(Files.getAttribute(target.resolve("sub"), "unix:uid")).isEqualTo(1235);
  }

  @Test
  void valuesBeyondUstarFieldsTravelInPaxHeaders() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("tree"));
    Path future = Files.writeString(root.resolve("future"), "f");
    Path past = Files.writeString(root.resolve("past"), "p");
    // ustar's 11 octal digits end in 2242 (and the JDK cannot set times past 2262); 1960 is negative
    Files.setLastModifiedTime(future, java.nio.file.attribute.FileTime.from(
        java.time.Instant.parse("2250-01-02T03:04:05.5Z")));
    Files.setLastModifiedTime(past, java.nio.file.attribute.FileTime.from(java.time.Instant.parse("1960-06-07T08:09:10Z")));
    boolean root0 = Integer.valueOf(0).equals(Files.getAttribute(root, "unix:uid"));
    if (root0) {
      Files.setAttribute(future, "unix:uid", 3_000_000); // beyond ustar's 7 octal digits
    }

    FakeBackupSession s = backUp(root);
    Path target = tmp.resolve("restored");
    FilesRoundTripTest.restore(s.part(), target, Map.of());

    assertThat(Files.getLastModifiedTime(target.resolve("future")).toInstant())
        .isEqualTo(java.time.Instant.parse("2250-01-02T03:04:05.5Z"));
    assertThat(Files.getLastModifiedTime(target.resolve("past")).toInstant())
        .isEqualTo(java.time.Instant.parse("1960-06-07T08:09:10Z"));
    if (root0) {
      assertThat(Files.getAttribute(target.resolve("future"), "unix:uid")).isEqualTo(3_000_000);
    }
  }

  @Test
  void hardLinkedNamesAreStoredOnceAndRestoredAsLinks() throws IOException {
    Path root = Files.createDirectories(tmp.resolve("tree"));
    Files.createDirectories(root.resolve("x"));
    Files.writeString(root.resolve("a"), "same");
    Files.createLink(root.resolve("x/b"), root.resolve("a"));
    Files.createLink(root.resolve("c"), root.resolve("a"));
    Files.writeString(root.resolve("single"), "one name");

    FakeBackupSession s = backUp(root);

    assertThat(s.metadata).containsEntry("hardLinkCount", "2").containsEntry("fileCount", "4")
        .containsEntry("totalBytes", Long.toString("same".length() + "one name".length()));
    Path target = tmp.resolve("restored");
    FilesRoundTripTest.restore(s.part(), target, Map.of());
    assertThat(Files.readString(target.resolve("x/b"))).isEqualTo("same");
    assertThat(Files.isSameFile(target.resolve("a"), target.resolve("x/b"))).isTrue();
    assertThat(Files.isSameFile(target.resolve("a"), target.resolve("c"))).isTrue();
    assertThat(Files.isSameFile(target.resolve("a"), target.resolve("single"))).isFalse();
  }

}
