package io.backup4j.testkit;

import io.backup4j.api.Secret;
import io.backup4j.api.spi.ProviderContext;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link ProviderContext} for tests that open providers directly: a fixed environment and secrets instead of the
 * process's, and a given temporary directory.
 */
public final class TestProviderContext implements ProviderContext {
  private final Path temporaryDirectory;
  private final Map<String, String> environment;
  private final Map<String, Secret> secrets;

  private TestProviderContext(Path temporaryDirectory, Map<String, String> environment, Map<String, Secret> secrets) {
    this.temporaryDirectory = Objects.requireNonNull(temporaryDirectory, "temporaryDirectory is null");
    this.environment = Map.copyOf(environment);
    this.secrets = Map.copyOf(secrets);
  }

  /** A context with an empty environment, no secrets and the given temporary directory. */
  public static TestProviderContext of(Path temporaryDirectory) {
    return new TestProviderContext(temporaryDirectory, Map.of(), Map.of());
  }

  /** A context with the given environment variables, secrets and temporary directory. */
  public static TestProviderContext of(Path temporaryDirectory, Map<String, String> environment,
      Map<String, Secret> secrets) {
    return new TestProviderContext(temporaryDirectory, environment, secrets);
  }

  @Override
  public Optional<String> environment(String name) {
    return Optional.ofNullable(environment.get(name));
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
    return "TestProviderContext[tmp=" + temporaryDirectory + ", env=" + environment.keySet() + ", secrets="
        + secrets.keySet() + "]";
  }
}
