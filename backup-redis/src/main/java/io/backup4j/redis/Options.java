package io.backup4j.redis;

import io.backup4j.api.ConfigurationException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/** Typed access to a provider's string options, rejecting unknown names and malformed values with clear errors. */
final class Options {
  private final Map<String, String> values;
  private final String what;

  Options(Map<String, String> values, Set<String> allowed, String what) {
    this.values = Map.copyOf(values);
    this.what = what;
    for (String name : values.keySet()) {
      if (!allowed.contains(name)) {
        throw new ConfigurationException("unknown option '" + name + "' for " + what + "; valid options are "
            + new TreeSet<>(allowed));
      }
    }
  }

  @Nullable String get(String name) {
    String v = values.get(name);
    return v == null || v.isBlank() ? null : v.trim();
  }

  String get(String name, String defaultValue) {
    String v = get(name);
    return v == null ? defaultValue : v;
  }

  boolean bool(String name, boolean defaultValue) {
    String v = get(name);
    if (v == null) {
      return defaultValue;
    }
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1" -> true;
      case "false", "no", "0" -> false;
      default -> throw new ConfigurationException(
          "option " + name + " of " + what + " must be true or false, not '" + v + "'");
    };
  }

  long positiveLong(String name, long defaultValue) {
    String v = get(name);
    if (v == null) {
      return defaultValue;
    }
    try {
      long n = Long.parseLong(v);
      if (n <= 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigurationException(
          "option " + name + " of " + what + " must be a positive whole number, not '" + v + "'");
    }
  }

  /** A byte size such as {@code 512m}, {@code 4g} or {@code 1048576}; {@code 0} is allowed. */
  long size(String name, long defaultValue) {
    String v = get(name);
    if (v == null) {
      return defaultValue;
    }
    String s = v.toLowerCase(Locale.ROOT);
    long unit = 1;
    if (s.endsWith("b")) {
      s = s.substring(0, s.length() - 1);
    }
    if (s.endsWith("k")) {
      unit = 1L << 10;
    } else if (s.endsWith("m")) {
      unit = 1L << 20;
    } else if (s.endsWith("g")) {
      unit = 1L << 30;
    } else if (s.endsWith("t")) {
      unit = 1L << 40;
    }
    if (unit != 1) {
      s = s.substring(0, s.length() - 1);
    }
    try {
      long n = Long.parseLong(s.trim());
      if (n < 0) {
        throw new NumberFormatException();
      }
      return Math.multiplyExact(n, unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new ConfigurationException("option " + name + " of " + what
          + " must be a size such as 1048576, 512m or 4g, not '" + v + "'");
    }
  }
}
