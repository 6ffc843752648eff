package io.backup4j.compress;

import io.backup4j.api.ConfigurationException;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads the string parameters of one transform, validating each value and remembering which keys were consumed.
 *
 * <p>Keys nobody asked for are not an error here: at restore the engine passes the parameters recorded in the
 * manifest, which a newer backup4j may have extended. {@link CompressionTransform#encode} rejects them instead, so a
 * typo like {@code levle=9} still fails a backup before any byte is written.
 */
final class Params {
  private final String transform;
  private final Map<String, String> raw;
  private final Set<String> used = new HashSet<>();

  Params(String transform, Map<String, String> raw) {
    this.transform = Objects.requireNonNull(transform, "transform is null");
    this.raw = Map.copyOf(Objects.requireNonNull(raw, "parameters is null"));
  }

  /** An integer parameter in {@code [min, max]}; {@code validText} describes the range for the error message. */
  int intParam(String key, int defaultValue, int min, int max, String validText) {
    used.add(key);
    String value = raw.get(key);
    if (value == null) {
      return defaultValue;
    }
    int parsed;
    try {
      parsed = Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw invalid(key, value, validText);
    }
    if (parsed < min || parsed > max) {
      throw invalid(key, value, validText);
    }
    return parsed;
  }

  /** The raw value of a parameter, or {@code defaultValue}. */
  String stringParam(String key, String defaultValue) {
    used.add(key);
    String value = raw.get(key);
    return value == null ? defaultValue : value.trim();
  }

  ConfigurationException invalid(String key, String value, String validText) {
    return new ConfigurationException(transform + " parameter '" + key + "' must be " + validText + ", got '"
        + abbreviate(value) + "'");
  }

  /** Keys that were passed but not consumed, sorted. */
  Set<String> unknown() {
    Set<String> unknown = new TreeSet<>(raw.keySet());
    unknown.removeAll(used);
    return unknown;
  }

  private static String abbreviate(String value) {
    return value.length() <= 40 ? value : value.substring(0, 40) + "...";
  }
}
