package io.backup4j.core.internal;

import io.backup4j.api.Secret;
import io.backup4j.api.spi.ProviderContext;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** The ProviderContext handed to plugins: environment overrides, application secrets, temp dir. */
public final class DefaultProviderContext implements ProviderContext {
  private final Map<String, String> environment;
  private final Map<String, Secret> secrets;
  private final Path temporaryDirectory;

  /** Creates a context; {@code environment} overrides the process environment. */
  public DefaultProviderContext(Map<String, String> environment, Map<String, Secret> secrets, Path temporaryDirectory) {
    this.environment = Map.copyOf(environment);
    this.secrets = Map.copyOf(secrets);
    this.temporaryDirectory = temporaryDirectory;
  }

  @Override
  public Optional<String> environment(String name) {
    String v = environment.get(name);
    return Optional.ofNullable(v != null ? v : System.getenv(name));
  }

  @Override
  public Optional<Secret> secret(String name) {
    return Optional.ofNullable(secrets.get(name));
  }

  @Override
  public Path temporaryDirectory() {
    return temporaryDirectory;
  }

  @Override
  public String toString() {
    return "ProviderContext[secrets=" + secrets.keySet() + ", temp=" + temporaryDirectory + "]";
  }
}
