package io.backup4j.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.BackupSource;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.RestoreTarget;
import io.backup4j.api.spi.SourceProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** URI and option handling of the provider. */
class FilesSourceProviderTest {
  private final FilesSourceProvider provider = new FilesSourceProvider();
  @TempDir Path tmp;

  @Test
  void providerIsFoundThroughServiceLoaderUnderItsName() {
    assertThat(ServiceLoader.load(SourceProvider.class).stream().map(ServiceLoader.Provider::get))
        .anySatisfy(p -> {
          assertThat(p).isInstanceOf(FilesSourceProvider.class);
          assertThat(p.name()).isEqualTo("files");
          assertThat(p.schemes()).containsExactly("files");
        });
  }

  @Test
  void sourceUrisWithOneOrThreeSlashesNameTheSameDirectory() throws IOException {
    try (BackupSource a = provider.openSource(URI.create("files:" + tmp), Map.of(), TestTrees.CTX);
        BackupSource b = provider.openSource(URI.create("files://" + tmp), Map.of(), TestTrees.CTX)) {
      assertThat(a.identity()).isEqualTo("files:" + tmp).isEqualTo(b.identity());
      assertThat(a.kind()).isEqualTo("files");
    }
  }

  @Test
  void relativeSourceUriIsResolvedAgainstTheWorkingDirectory() {
    Path expected = Path.of("no-such-relative-dir").toAbsolutePath();
    assertThatThrownBy(() -> provider.openSource(URI.create("files:no-such-relative-dir"), Map.of(), TestTrees.CTX))
        .isInstanceOf(NotFoundException.class).hasMessageContaining(expected.toString());
  }

  @Test
  void sourceUriWithAHostIsRefused() {
    assertThatThrownBy(() -> provider.openSource(URI.create("files://nas" + tmp), Map.of(), TestTrees.CTX))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("nas").hasMessageContaining("local");
  }

  @Test
  void missingRootIsNotFoundNamingThePath() {
    Path missing = tmp.resolve("nope");
    assertThatThrownBy(() -> provider.openSource(URI.create("files:" + missing), Map.of(), TestTrees.CTX))
        .isInstanceOf(NotFoundException.class).hasMessageContaining(missing.toString());
  }

  @Test
  void rootThatIsAFileIsAConfigurationErrorNamingThePath() throws IOException {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    assertThatThrownBy(() -> provider.openSource(URI.create("files:" + file), Map.of(), TestTrees.CTX))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining(file.toString())
        .hasMessageContaining("not a directory");
  }

  @Test
  void rootRemovedAfterOpeningFailsBeforeAnyPartIsOpened() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("gone"));
    FakeBackupSession session = new FakeBackupSession(Files.createDirectories(tmp.resolve("parts")));
    try (BackupSource s = provider.openSource(URI.create("files:" + dir), Map.of(), TestTrees.CTX)) {
      Files.delete(dir);
      assertThatThrownBy(() -> s.backup(session)).isInstanceOf(NotFoundException.class)
          .hasMessageContaining(dir.toString());
    }
    assertThat(session.opened).isZero();
  }

  @Test
  void unknownSourceOptionIsRefusedListingTheAcceptedOnes() {
    assertThatThrownBy(() -> provider.openSource(URI.create("files:" + tmp), Map.of("exclud", "*.tmp"), TestTrees.CTX))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("exclud").hasMessageContaining("[exclude]");
  }

  @Test
  void invalidGlobIsRefusedNamingIt() {
    assertThatThrownBy(() -> provider.openSource(URI.create("files:" + tmp), Map.of("exclude", "a[b"), TestTrees.CTX))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("a[b");
  }

  @Test
  void optionsMayBeGivenAsQueryParameters() throws IOException {
    Files.writeString(tmp.resolve("a.tmp"), "x");
    Files.writeString(tmp.resolve("b.txt"), "x");
    FakeBackupSession session = new FakeBackupSession(Files.createDirectories(tmp.resolve("parts")));
    try (BackupSource s = provider.openSource(URI.create("files:" + tmp + "?exclude=*.tmp,parts"), Map.of(), TestTrees.CTX)) {
      assertThat(s.identity()).isEqualTo("files:" + tmp);
      s.backup(session);
    }
    assertThat(TestTrees.entries(session.part())).containsExactly("./", "b.txt");
  }

  @Test
  void conflictingQueryAndOptionAreRefused() {
    assertThatThrownBy(() -> provider.openSource(URI.create("files:" + tmp + "?exclude=a"), Map.of("exclude", "b"),
        TestTrees.CTX)).isInstanceOf(ConfigurationException.class).hasMessageContaining("exclude");
  }

  @Test
  void excludePatternsFollowTheDocumentedRules() {
    Excludes e = Excludes.parse("*.{tmp,bak}, /top/**, build/, a/b");
    assertThat(e.excludes("x.tmp", false)).isTrue();
    assertThat(e.excludes("deep/er/x.bak", false)).isTrue();
    assertThat(e.excludes("top", true)).isFalse();
    assertThat(e.excludes("top/x", false)).isTrue();
    assertThat(e.excludes("sub/top/x", false)).isFalse();
    assertThat(e.excludes("build", true)).isTrue();
    assertThat(e.excludes("build", false)).isFalse();
    assertThat(e.excludes("x/build", true)).isTrue();
    assertThat(e.excludes("a/b", false)).isTrue();
    assertThat(e.excludes("x/a/b", false)).isFalse();
    assertThatThrownBy(() -> Excludes.parse("/")).isInstanceOf(ConfigurationException.class);
  }

  @Test
  void targetAcceptsPlainPathsAndFileAndFilesUris() throws IOException {
    for (String t : new String[] {tmp.resolve("r").toString(), "file:" + tmp.resolve("r"),
        "file://" + tmp.resolve("r"), "files:" + tmp.resolve("r")}) {
      try (RestoreTarget target = provider.openTarget(t, Map.of(), TestTrees.CTX)) {
        assertThat(((FilesRestoreTarget) target).directory()).as(t).isEqualTo(tmp.resolve("r"));
      }
    }
  }

  @Test
  void unknownOrInvalidTargetOptionsAreRefused() {
    assertThatThrownBy(() -> provider.openTarget(tmp.toString(), Map.of("force", "true"), TestTrees.CTX))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("force").hasMessageContaining("[fsync, overwrite, targetDir]");
    assertThatThrownBy(() -> provider.openTarget(tmp.toString(), Map.of("overwrite", "yes"), TestTrees.CTX))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("true or false");
  }

  @Test
  void theClisTargetDirOptionIsAcceptedAndChangesNothing() throws IOException {
    try (RestoreTarget t = provider.openTarget(tmp.resolve("r").toString(), Map.of("targetDir", "true"),
        TestTrees.CTX)) {
      assertThat(((FilesRestoreTarget) t).directory()).isEqualTo(tmp.resolve("r"));
    }
  }

  @Test
  void targetThatIsAFileIsRefused() throws IOException {
    Path file = Files.writeString(tmp.resolve("f"), "x");
    try (RestoreTarget t = provider.openTarget(file.toString(), Map.of("overwrite", "true"), TestTrees.CTX)) {
      assertThatThrownBy(() -> t.restore(new FakeRestoreSession(file)))
          .isInstanceOf(ConfigurationException.class).hasMessageContaining("not a directory");
    }
    assertThat(TestTrees.listing(tmp)).containsExactly("f");
  }
}
