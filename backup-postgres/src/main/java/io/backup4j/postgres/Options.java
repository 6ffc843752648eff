package io.backup4j.postgres;

import io.backup4j.api.ConfigurationException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/** Typed access to a provider's string options, rejecting unknown names and malformed values with clear errors. */
final class Options {
  private final String what;
  private final Map<String, String> values;

  Options(String what, Map<String, String> values, Set<String> known, Set<String> knownPrefixes) {
    this.what = what;
    this.values = new LinkedHashMap<>(values);
    for (String k : values.keySet()) {
      boolean ok = known.contains(k) || knownPrefixes.stream().anyMatch(k::startsWith);
      if (!ok) {
        throw new ConfigurationException("unknown " + what + " option '" + k + "'; known options: "
            + String.join(", ", new TreeSet<>(known)));
      }
    }
  }

  @Nullable String string(String name) {
    String v = values.get(name);
    return v == null || v.isEmpty() ? null : v;
  }

  boolean bool(String name, boolean dflt) {
    String v = values.get(name);
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw new ConfigurationException(what + " option " + name + "=" + v + " is not a boolean;"
          + " use true or false");
    };
  }

  int integer(String name, int dflt, int min, int max) {
    String v = values.get(name);
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new ConfigurationException(what + " option " + name + "=" + v + " must be an integer from " + min
        + " to " + max);
  }

  /** A comma-separated list; blanks removed. */
  List<String> list(String name) {
    String v = values.get(name);
    List<String> out = new ArrayList<>();
    if (v == null) {
      return out;
    }
    for (String s : v.split(",")) {
      String t = s.trim();
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }

  @Nullable Path path(String name) {
    String v = string(name);
    return v == null ? null : Path.of(v);
  }

  /** The values of every option whose name is {@code prefix} or starts with {@code prefix + "."}, in order. */
  List<String> withPrefix(String prefix) {
    List<String> out = new ArrayList<>();
    values.forEach((k, v) -> {
      if ((k.equals(prefix) || k.startsWith(prefix + ".")) && !v.isBlank()) {
        out.add(v);
      }
    });
    return out;
  }
}
