package io.backup4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.core.Providers;
import org.junit.jupiter.api.Test;

class ProviderDiscoveryTest {
  @Test
  void redisProviderIsFoundThroughServiceLoaderByNameAndBothSchemes() {
    Providers providers = Providers.load();
    assertThat(providers.source("redis")).isInstanceOf(RedisSourceProvider.class);
    assertThat(providers.source("rediss")).isInstanceOf(RedisSourceProvider.class);
    assertThat(providers.source("redis").sensitiveOptions()).contains("trustStorePassword");
  }
}
