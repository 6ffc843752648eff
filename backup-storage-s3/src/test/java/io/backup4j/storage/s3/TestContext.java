package io.backup4j.storage.s3;

import io.backup4j.api.Secret;
import io.backup4j.api.spi.ProviderContext;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** A ProviderContext with given secrets and environment and a private temporary directory. */
record TestContext(Path temporaryDirectory, Map<String, Secret> secrets, Map<String, String> env)
    implements ProviderContext {
  TestContext(Path temporaryDirectory) {
    this(temporaryDirectory, Map.of(), Map.of());
  }

  @Override
  public Optional<String> environment(String name) {
    return Optional.ofNullable(env.get(name));
  }

  @Override
  public Optional<Secret> secret(String name) {
    return Optional.ofNullable(secrets.get(name));
  }
}
