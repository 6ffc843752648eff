package io.backup4j.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.spi.TransformProvider;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class ProviderDiscoveryTest {
  @Test
  void bothTransformsAreFoundThroughServiceLoader() {
    assertThat(ServiceLoader.load(TransformProvider.class).stream().map(p -> p.get().name()))
        .contains("aes-gcm", "pgp");
  }
}
