package io.backup4j.storage.local;

import io.backup4j.api.BackupSink;
import io.backup4j.api.SinkFeature;
import io.backup4j.testkit.BackupSinkConformanceTest;
import io.backup4j.testkit.TestProviderContext;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** The local sink passes the storage conformance suite, opened through its provider like the engine does. */
class LocalSinkConformanceTest extends BackupSinkConformanceTest {
  private Path tmp() {
    return Objects.requireNonNull(temporaryDirectory);
  }

  @Override
  protected BackupSink newSink() {
    return new LocalSinkProvider().open(tmp().resolve("repo").toUri(), Map.of(), true, TestProviderContext.of(tmp()));
  }

  @Override
  protected BackupSink newSinkOnSameRepository() {
    return new LocalSinkProvider().open(tmp().resolve("repo").toUri(), Map.of(), false, TestProviderContext.of(tmp()));
  }

  @Override
  protected Set<SinkFeature> expectedFeatures() {
    return Set.of(SinkFeature.CONDITIONAL_CREATE, SinkFeature.RANGED_READ);
  }

  @Override
  protected String expectedScheme() {
    return "file";
  }

  @Override
  protected URI repositoryUri() {
    return tmp().resolve("other-repo").toUri();
  }
}
