package io.backup4j.storage.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.backup4j.api.BackupSink;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.ObjectInfo;
import io.backup4j.api.PartWriter;
import io.backup4j.api.SinkException;
import io.backup4j.api.WriteMode;
import io.backup4j.testkit.TestProviderContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the file: sink does on disk, beyond the portable conformance suite. */
class LocalSinkTest {
  @TempDir Path tmp;
  Path root;
  Path outside;

  @BeforeEach
  void setUp() throws IOException {
    root = tmp.resolve("repo");
    outside = Files.createDirectories(tmp.resolve("outside"));
    Files.writeString(outside.resolve("secret"), "do not touch");
  }

  private BackupSink open() {
    return open(root.toUri(), Map.of(), true);
  }

  private BackupSink open(URI uri, Map<String, String> options, boolean create) {
    return new LocalSinkProvider().open(uri, options, create, TestProviderContext.of(tmp));
  }

  private static void write(BackupSink sink, String key, String text) throws IOException {
    try (PartWriter w = sink.openWrite(key, WriteMode.OVERWRITE)) {
      w.stream().write(text.getBytes(StandardCharsets.UTF_8));
      w.commit();
    }
  }

  private static List<Path> tempFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith(LocalSink.TEMP_PREFIX)).collect(Collectors.toList());
    }
  }

  private static void assumePosix() {
    assumeThat(FileSystems.getDefault().supportedFileAttributeViews())
        .as("file modes and symbolic links are POSIX-only; this file system is not POSIX").contains("posix");
  }

  // ----------------------------------------------------------------------------------------------- commit on disk

  @Test
  void committedAndAbortedWritesLeaveNoTemporaryFilesOrEmptyDirectories() throws IOException {
    try (BackupSink sink = open()) {
      write(sink, "data/b1/part-0", "zero");
      try (PartWriter w = sink.openWrite("data/b1/part-1", WriteMode.CREATE_ONLY)) {
        w.stream().write(1);
        w.commit();
      }
      try (PartWriter w = sink.openWrite("aborted/deep/part", WriteMode.OVERWRITE)) {
        w.stream().write(new byte[100_000]);
        assertThat(tempFiles(root)).as("the in-flight write is a temporary file").hasSize(1);
      }
      assertThatThrownBy(() -> {
        try (PartWriter w = sink.openWrite("data/b1/part-0", WriteMode.CREATE_ONLY)) {
          w.stream().write(2);
          w.commit();
        }
      }).isInstanceOf(io.backup4j.api.AlreadyExistsException.class);
    }
    assertThat(tempFiles(root)).isEmpty();
    assertThat(root.resolve("aborted")).as("directories created for an aborted write are removed").doesNotExist();
    assertThat(Files.readString(root.resolve("data/b1/part-0"))).isEqualTo("zero");
  }

  @Test
  void keyIsStoredAsTheFileOfTheSameRelativePath() throws IOException {
    try (BackupSink sink = open()) {
      write(sink, "catalog/20260101T000000Z.json", "{}");
    }
    assertThat(root.resolve("catalog").resolve("20260101T000000Z.json")).hasContent("{}");
  }

  @Test
  void temporaryFilesOfCrashedWritersAreNeverListed() throws IOException {
    try (BackupSink sink = open()) {
      write(sink, "data/x", "x");
      Files.writeString(root.resolve("data").resolve(LocalSink.TEMP_PREFIX + "crashed"), "partial");
      try (Stream<ObjectInfo> s = sink.list("")) {
        assertThat(s.map(ObjectInfo::key)).containsExactly("data/x");
      }
      assertThat(sink.stat("data/x")).isPresent();
    }
  }

  @Test
  void keyNamedLikeATemporaryFileIsRefused() throws IOException {
    try (BackupSink sink = open()) {
      assertThatThrownBy(() -> sink.openWrite("data/" + LocalSink.TEMP_PREFIX + "x", WriteMode.OVERWRITE))
          .isInstanceOf(ConfigurationException.class).hasMessageContaining("reserved");
      assertThatThrownBy(() -> sink.stat(LocalSink.TEMP_PREFIX + "x")).isInstanceOf(ConfigurationException.class);
    }
  }

  @Test
  void deletePrunesEmptyDirectoriesButNeverTheRoot() throws IOException {
    try (BackupSink sink = open()) {
      write(sink, "data/b1/sub/part", "p");
      write(sink, "data/b2/part", "q");
      sink.delete("data/b1/sub/part");
      assertThat(root.resolve("data/b1")).doesNotExist();
      assertThat(root.resolve("data/b2/part")).exists();
      sink.delete("data/b2/part");
      assertThat(root.resolve("data")).doesNotExist();
      assertThat(root).isDirectory();
    }
  }

  @Test
  void objectAndDirectoryOfOneNameAreRefusedWithAClearError() throws IOException {
    try (BackupSink sink = open()) {
      write(sink, "a", "file");
      assertThatThrownBy(() -> sink.openWrite("a/b", WriteMode.OVERWRITE))
          .isInstanceOf(SinkException.class).hasMessageContaining("both an object and a directory");
      write(sink, "d/e", "below");
      assertThatThrownBy(() -> write(sink, "d", "file"))
          .isInstanceOf(SinkException.class).hasMessageContaining("is a directory");
      assertThat(sink.stat("d/e")).isPresent();
      assertThat(tempFiles(root)).isEmpty();
    }
  }

  // ------------------------------------------------------------------------------------------------------- modes

  @Test
  void repositoryAndItsDirectoriesAreCreatedWithMode0700AndFilesWith0600() throws IOException {
    assumePosix();
    try (BackupSink sink = open()) {
      write(sink, "data/b1/part", "p");
      try (PartWriter w = sink.openWrite("data/b1/create-only", WriteMode.CREATE_ONLY)) {
        w.stream().write(1);
        w.commit();
      }
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("data")))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("data/b1")))).isEqualTo("rwx------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("data/b1/part"))))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("data/b1/create-only"))))
        .isEqualTo("rw-------");
  }

  // --------------------------------------------------------------------------------------------------- symlinks

  @Test
  void symlinkedDirectoryLeadingOutsideTheRepositoryIsRefusedForEveryOperation() throws IOException {
    assumePosix();
    try (BackupSink sink = open()) {
      Files.createSymbolicLink(root.resolve("link"), outside);

      assertThatThrownBy(() -> sink.openWrite("link/new", WriteMode.OVERWRITE))
          .isInstanceOf(SinkException.class).hasMessageContaining("outside the repository");
      assertThatThrownBy(() -> sink.openRead("link/secret")).isInstanceOf(SinkException.class);
      assertThatThrownBy(() -> sink.openRead("link/secret", 0, 3)).isInstanceOf(SinkException.class);
      assertThatThrownBy(() -> sink.stat("link/secret")).isInstanceOf(SinkException.class);
      assertThatThrownBy(() -> sink.delete("link/secret")).isInstanceOf(SinkException.class);
      assertThatThrownBy(() -> sink.list("link/").close()).isInstanceOf(SinkException.class);
      try (Stream<ObjectInfo> s = sink.list("")) {
        assertThat(s).as("symbolic links are not followed when listing").isEmpty();
      }
    }
    try (Stream<Path> s = Files.list(outside)) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("secret");
    }
    assertThat(outside.resolve("secret")).hasContent("do not touch");
  }

  @Test
  void symlinkedFileLeadingOutsideTheRepositoryIsNotRead() throws IOException {
    assumePosix();
    try (BackupSink sink = open()) {
      Files.createDirectories(root.resolve("data"));
      Files.createSymbolicLink(root.resolve("data/part"), outside.resolve("secret"));
      assertThatThrownBy(() -> sink.openRead("data/part")).isInstanceOf(SinkException.class)
          .hasMessageContaining("outside the repository");
      assertThatThrownBy(() -> sink.stat("data/part")).isInstanceOf(SinkException.class);
    }
    assertThat(outside.resolve("secret")).hasContent("do not touch");
  }

  @Test
  void overwritingASymlinkedKeyReplacesTheLinkNotItsTarget() throws IOException {
    assumePosix();
    try (BackupSink sink = open()) {
      Files.createDirectories(root.resolve("data"));
      Files.createSymbolicLink(root.resolve("data/part"), outside.resolve("secret"));
      write(sink, "data/part", "new");
      assertThat(Files.isSymbolicLink(root.resolve("data/part"))).isFalse();
      assertThat(root.resolve("data/part")).hasContent("new");
    }
    assertThat(outside.resolve("secret")).hasContent("do not touch");
  }

  @Test
  void repositoryReachedThroughASymlinkWorks() throws IOException {
    assumePosix();
    Files.createDirectories(root);
    Path alias = Files.createSymbolicLink(tmp.resolve("alias"), root);
    try (BackupSink sink = open(alias.toUri(), Map.of(), false)) {
      write(sink, "data/x", "x");
      assertThat(sink.stat("data/x")).isPresent();
    }
    assertThat(root.resolve("data/x")).hasContent("x");
  }

  // ----------------------------------------------------------------------------------------- stale temp cleanup

  @Test
  void staleTemporaryFilesAreRemovedWhenTheSinkOpensAndFreshOnesKept() throws IOException {
    Files.createDirectories(root.resolve("data/b1"));
    Path stale = Files.writeString(root.resolve("data/b1").resolve(LocalSink.TEMP_PREFIX + "killed"), "partial");
    Path staleAtRoot = Files.writeString(root.resolve(LocalSink.TEMP_PREFIX + "killed2"), "partial");
    Path fresh = Files.writeString(root.resolve("data").resolve(LocalSink.TEMP_PREFIX + "running"), "partial");
    Path object = Files.writeString(root.resolve("data/b1/old-object"), "kept");
    FileTime dayAndHourAgo = FileTime.from(Instant.now().minus(Duration.ofHours(25)));
    Files.setLastModifiedTime(stale, dayAndHourAgo);
    Files.setLastModifiedTime(staleAtRoot, dayAndHourAgo);
    Files.setLastModifiedTime(object, dayAndHourAgo);

    open(root.toUri(), Map.of(), false).close();

    assertThat(stale).doesNotExist();
    assertThat(staleAtRoot).doesNotExist();
    assertThat(fresh).as("a temporary file of a write that may still be running").exists();
    assertThat(object).as("an old object is not a temporary file").hasContent("kept");
  }

  @Test
  void staleTemporaryFileAgeIsConfigurable() throws IOException {
    Files.createDirectories(root);
    Path temp = Files.writeString(root.resolve(LocalSink.TEMP_PREFIX + "x"), "partial");
    Files.setLastModifiedTime(temp, FileTime.from(Instant.now().minus(Duration.ofHours(3))));

    open(root.toUri(), Map.of(), false).close();
    assertThat(temp).as("3 hours old, default age is 24").exists();

    open(URI.create(root.toUri() + "?staleTempHours=2"), Map.of(), false).close();
    assertThat(temp).doesNotExist();
  }

  // ------------------------------------------------------------------------------------------- provider and URIs

  @Test
  void openingAMissingRepositoryWithoutCreateThrowsNotFoundNamingThePathAndTheFix() {
    assertThatThrownBy(() -> open(root.toUri(), Map.of(), false))
        .isInstanceOf(NotFoundException.class)
        .hasMessageContaining(root.toString())
        .hasMessageContaining("Run a backup first")
        .hasMessageContaining("fix the repository URI");
    assertThat(root).doesNotExist();
  }

  @Test
  void openingWithCreateMakesMissingParentsAndTheRepository() throws IOException {
    Path deep = tmp.resolve("a/b/repo");
    open(deep.toUri(), Map.of(), true).close();
    assertThat(deep).isDirectory();
  }

  @Test
  void allSpellingsOfALocalFileUriOpenTheSameDirectory() throws IOException {
    Files.createDirectories(root);
    Files.writeString(root.resolve("marker"), "m");
    String path = root.toAbsolutePath().toString();
    for (String uri : List.of("file:" + path, "file://" + path, "file://localhost" + path, "FILE:" + path + "/")) {
      try (BackupSink sink = open(URI.create(uri), Map.of(), false)) {
        assertThat(sink.stat("marker")).as(uri).isPresent();
      }
    }
  }

  @Test
  void repositoryPathWithSpacesAndUnicodeOpensFromAnEncodedUri() throws Exception {
    Path odd = tmp.resolve("my backups \u00e9t\u00e9");
    try (BackupSink sink = open(new URI("file", odd.toString(), null), Map.of(), true)) {
      write(sink, "x", "x");
    }
    assertThat(odd.resolve("x")).hasContent("x");
    try (BackupSink sink = open(odd.toUri(), Map.of(), false)) {
      assertThat(sink.stat("x")).isPresent();
    }
  }

  @Test
  void remoteHostsAreRefusedWithTheFix() {
    assertThatThrownBy(() -> open(URI.create("file://fileserver/share/repo"), Map.of(), true))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("fileserver").hasMessageContaining("mount");
  }

  @Test
  void unknownAndInvalidOptionsAreConfigurationErrors() {
    assertThatThrownBy(() -> open(root.toUri(), Map.of("bogus", "1"), true))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("bogus").hasMessageContaining("staleTempHours");
    assertThatThrownBy(() -> open(URI.create(root.toUri() + "?bogus=1"), Map.of(), true))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("bogus");
    assertThatThrownBy(() -> open(root.toUri(), Map.of("staleTempHours", "0"), true))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("staleTempHours");
    assertThatThrownBy(() -> open(root.toUri(), Map.of("staleTempHours", "soon"), true))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("soon");
    assertThatThrownBy(() -> open(URI.create(root.toUri() + "?staleTempHours=5"), Map.of("staleTempHours", "6"), true))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("twice");
    assertThat(root).as("nothing created for a bad configuration").doesNotExist();
  }

  @Test
  void aRepositoryPathThatIsAFileIsAConfigurationError() throws IOException {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    assertThatThrownBy(() -> open(file.toUri(), Map.of(), true))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("not a directory");
  }

  @Test
  void otherSchemesAreRefused() {
    assertThatThrownBy(() -> open(URI.create("s3://bucket/x"), Map.of(), true))
        .isInstanceOf(ConfigurationException.class);
  }

  @Test
  void describeIsTheRepositoryFileUri() {
    try (BackupSink sink = open()) {
      assertThat(sink.describe()).startsWith("file:").contains("repo");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  // ---------------------------------------------------------------------------------------------------- reading

  @Test
  void readStreamIsIndependentOfLaterOverwrites() throws IOException {
    try (BackupSink sink = open()) {
      write(sink, "data/x", "first version");
      try (InputStream in = sink.openRead("data/x")) {
        write(sink, "data/x", "second");
        // The rename replaced the directory entry; the open file keeps the bytes it had.
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("first version");
      }
    }
  }

  @Test
  void deleteAllWithAnInvalidKeyDeletesNothing() throws IOException {
    try (BackupSink sink = open()) {
      write(sink, "a", "a");
      write(sink, "b", "b");
      assertThatThrownBy(() -> sink.deleteAll(List.of("a", "../b", "b"))).isInstanceOf(ConfigurationException.class);
      assertThat(sink.stat("a")).isPresent();
      assertThat(sink.stat("b")).isPresent();
    }
  }

  @Test
  void negativeRangesAreRejected() throws IOException {
    try (BackupSink sink = open()) {
      write(sink, "x", "x");
      assertThatThrownBy(() -> sink.openRead("x", -1, 1)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> sink.openRead("x", 0, -1)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void nothingIsCreatedOutsideTheRepositoryForEscapingKeys() throws IOException {
    try (BackupSink sink = open()) {
      for (String key : List.of("../escape", "a/../../escape", "/tmp/escape")) {
        assertThatThrownBy(() -> sink.openWrite(key, WriteMode.OVERWRITE)).isInstanceOf(ConfigurationException.class);
      }
    }
    assertThat(tmp.resolve("escape")).doesNotExist();
    assertThat(Files.exists(root.resolve("a"), LinkOption.NOFOLLOW_LINKS)).isFalse();
  }
}
