package io.backup4j.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.core.Providers;
import org.junit.jupiter.api.Test;

/** Plugins in other modules are found through ServiceLoader from a module that only depends on them. */
class DiscoveryTest {
  @Test
  void providersOfEveryModuleOnTheClassPathAreDiscovered() {
    Providers p = Providers.load();
    assertThat(p.sourceNames()).contains("files");
    assertThat(p.sinkNames()).contains("file");
    assertThat(p.retentionNames()).contains("keep");
    assertThat(p.problems()).isEmpty();
    assertThat(p.source("FILES").name()).isEqualTo("files");
  }

  @Test
  void discoveryWithAnExplicitClassLoaderSeesTheSameProviders() {
    Providers p = Providers.load(DiscoveryTest.class.getClassLoader());
    assertThat(p.sinkNames()).isEqualTo(Providers.load().sinkNames());
  }
}
