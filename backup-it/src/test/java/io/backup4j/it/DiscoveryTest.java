package io.backup4j.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.backup4j.api.ConfigurationException;
import io.backup4j.core.Providers;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Plugins in other modules are found through ServiceLoader from a module that only depends on them. */
class DiscoveryTest {
  @Test
  void providersOfEveryModuleOnTheClassPathAreDiscovered() {
    Providers p = Providers.load();
    assertThat(p.sourceNames()).contains("files", "postgres", "redis");
    assertThat(p.sinkNames()).contains("file", "s3");
    assertThat(p.transformNames()).contains("zstd", "gzip", "lz4", "xz", "bzip2", "none", "aes-gcm", "pgp");
    assertThat(p.retentionNames()).contains("keep");
    assertThat(p.problems()).isEmpty();
    assertThat(p.source("FILES").name()).isEqualTo("files");
    // each name resolves to the plugin module's own provider, not to something else claiming it
    assertThat(p.source("postgres").getClass().getPackageName()).isEqualTo("io.backup4j.postgres");
    assertThat(p.source("redis").getClass().getPackageName()).isEqualTo("io.backup4j.redis");
    assertThat(p.sink("s3").getClass().getPackageName()).isEqualTo("io.backup4j.storage.s3");
    assertThat(p.sink("file").getClass().getPackageName()).isEqualTo("io.backup4j.storage.local");
    assertThat(p.transform("zstd").getClass().getPackageName()).isEqualTo("io.backup4j.compress");
    assertThat(p.transform("aes-gcm").getClass().getPackageName()).isEqualTo("io.backup4j.crypto");
    assertThat(p.transform("pgp").getClass().getPackageName()).isEqualTo("io.backup4j.crypto");
  }

  @Test
  void discoveryWithAnExplicitClassLoaderSeesTheSameProviders() {
    Providers p = Providers.load(DiscoveryTest.class.getClassLoader());
    Providers q = Providers.load();
    assertThat(p.sourceNames()).isEqualTo(q.sourceNames());
    assertThat(p.sinkNames()).isEqualTo(q.sinkNames());
    assertThat(p.transformNames()).isEqualTo(q.transformNames());
  }

  @Test
  void anUnknownNameIsAConfigurationErrorListingTheInstalledOnes() {
    Providers p = Providers.load();
    assertThat(installedNamesIn(() -> p.source("mysql"), "'mysql'")).contains("files", "postgres", "redis");
    assertThat(installedNamesIn(() -> p.sink("gs"), "'gs'")).contains("file", "s3");
    assertThat(installedNamesIn(() -> p.transform("brotli"), "'brotli'"))
        .contains("zstd", "gzip", "lz4", "xz", "bzip2", "none", "aes-gcm", "pgp");
    assertThat(installedNamesIn(() -> p.retention("gfs"), "'gfs'")).contains("keep");
  }

  /** The names after "installed:" in the ConfigurationException that {@code lookup} throws, which names {@code asked}. */
  private static List<String> installedNamesIn(ThrowingCallable lookup, String asked) {
    Throwable t = catchThrowable(lookup);
    assertThat(t).isInstanceOf(ConfigurationException.class).hasMessageContaining(asked);
    Matcher m = Pattern.compile("installed: ([^.]+)\\.").matcher(t.getMessage());
    assertThat(m.find()).as(t.getMessage()).isTrue();
    return List.of(m.group(1).split(", "));
  }
}
