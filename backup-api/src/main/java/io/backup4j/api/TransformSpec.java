package io.backup4j.api;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A transform as recorded in a manifest: its provider name and the parameters restore needs to reverse it (a
 * compression format's level is recorded, never required; an encryption transform records its key id and never key
 * material).
 *
 * @param name the provider name, e.g. {@code zstd}
 * @param parameters recorded parameters; must not contain secrets
 */
public record TransformSpec(String name, Map<String, String> parameters) {
  /** Validates and copies. */
  public TransformSpec {
    Objects.requireNonNull(name, "name is null");
    parameters = java.util.Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(parameters, "parameters is null")));
    for (String k : parameters.keySet()) {
      if (Redaction.isSensitiveName(k)) {
        throw new ConfigurationException("transform '" + name + "' tried to record the sensitive parameter '" + k
            + "' in a manifest; secrets are never recorded");
      }
    }
  }

  /** A spec without parameters. */
  public static TransformSpec of(String name) {
    return new TransformSpec(name, Map.of());
  }
}
