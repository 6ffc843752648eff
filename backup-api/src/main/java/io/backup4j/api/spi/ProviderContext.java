package io.backup4j.api.spi;

import io.backup4j.api.Secret;
import java.nio.file.Path;
import java.util.Optional;

/** What the engine passes to providers when it creates a component. */
public interface ProviderContext {
  /** A variable of the process environment, or one the embedding application supplied instead. */
  Optional<String> environment(String name);

  /**
   * A secret supplied by the embedding application by name (for example {@code aes-gcm.key} or
   * {@code postgres.password}), so credentials need not pass through URIs, options or files.
   */
  Optional<Secret> secret(String name);

  /** The parent directory for private temporary files. */
  Path temporaryDirectory();
}
