package com.example.backup.memory;

import io.backup4j.api.BackupSink;
import io.backup4j.api.SinkFeature;
import io.backup4j.testkit.BackupSinkConformanceTest;
import io.backup4j.testkit.TestProviderContext;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;

/** The memory sink passes the storage conformance suite, opened through its provider as the engine would. */
class MemorySinkConformanceTest extends BackupSinkConformanceTest {
  // A fresh, empty repository for every test.
  private final String name = "conformance-" + UUID.randomUUID();

  @Override
  protected BackupSink newSink() {
    Path tmp = Objects.requireNonNull(temporaryDirectory);
    return new MemorySinkProvider().open(URI.create("memory://" + name), Map.of(), true, TestProviderContext.of(tmp));
  }

  @Override
  protected BackupSink newSinkOnSameRepository() {
    Path tmp = Objects.requireNonNull(temporaryDirectory);
    return new MemorySinkProvider().open(URI.create("memory://" + name), Map.of(), false, TestProviderContext.of(tmp));
  }

  @AfterEach
  void dropRepository() {
    MemorySinkProvider.drop(name);
  }

  @Override
  protected Set<SinkFeature> expectedFeatures() {
    return Set.of(SinkFeature.CONDITIONAL_CREATE, SinkFeature.RANGED_READ);
  }

  @Override
  protected String expectedScheme() {
    return "memory";
  }

  @Override
  protected URI repositoryUri() {
    return URI.create("memory://options-check");
  }

  // Objects of this sink live in the heap, so the large-object test uses a smaller one than the suite's 100 MiB.
  @Override
  protected long largeObjectSize() {
    return 16L * 1024 * 1024;
  }

  // Objects of this sink live in the heap, so the heap cannot show whether the sink buffers them.
  @Override
  protected boolean storageKeepsObjectsInThisHeap() {
    return true;
  }
}
