package io.backup4j.crypto;

import io.backup4j.api.Secret;
import io.backup4j.api.spi.ProviderContext;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** A {@link ProviderContext} with an explicit environment and secrets. */
final class TestContext implements ProviderContext {
  final Map<String, String> env = new HashMap<>();
  final Map<String, Secret> secrets = new HashMap<>();
  private final Path tmp;

  TestContext(Path tmp) {
    this.tmp = tmp;
  }

  TestContext env(String name, String value) {
    env.put(name, value);
    return this;
  }

  TestContext secret(String name, Secret value) {
    secrets.put(name, value);
    return this;
  }

  @Override
  public Optional<String> environment(String name) {
    return Optional.ofNullable(env.get(name));
  }

  @Override
  public Optional<Secret> secret(String name) {
    return Optional.ofNullable(secrets.get(name));
  }

  @Override
  public Path temporaryDirectory() {
    return tmp;
  }
}
