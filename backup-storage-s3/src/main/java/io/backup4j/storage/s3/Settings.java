package io.backup4j.storage.s3;

import io.backup4j.api.ConfigurationException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** Parsing of option values: sizes ({@code 8MiB}), durations ({@code 30d}), booleans. */
final class Settings {
  private Settings() {}

  /**
   * Parses a size: a number of bytes with an optional binary suffix {@code K}, {@code M}, {@code G}, {@code T}
   * (also written {@code KiB}, {@code KB}, ...; all mean powers of 1024).
   */
  static long size(String option, String value) {
    String v = value.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
    int shift = 0;
    if (!v.isEmpty()) {
      switch (v.charAt(v.length() - 1)) {
        case 'K' -> shift = 10;
        case 'M' -> shift = 20;
        case 'G' -> shift = 30;
        case 'T' -> shift = 40;
        default -> shift = 0;
      }
    }
    String digits = shift == 0 ? v : v.substring(0, v.length() - 1).trim();
    try {
      long n = Long.parseLong(digits);
      if (n < 0 || n > (Long.MAX_VALUE >> shift)) {
        throw new NumberFormatException();
      }
      return n << shift;
    } catch (NumberFormatException e) {
      throw new ConfigurationException("option " + option + "='" + value
          + "' is not a size; use bytes or a number with K, M, G or T (binary units), e.g. 16MiB");
    }
  }

  /** Parses a duration: {@code 30d}, {@code 12h}, {@code 15m}, {@code 90s}, {@code 250ms} or ISO-8601 ({@code P30D}). */
  static Duration duration(String option, String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.startsWith("p")) {
        return Duration.parse(v.toUpperCase(Locale.ROOT));
      }
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      long n = Long.parseLong(v.substring(0, v.length() - 1));
      return switch (v.charAt(v.length() - 1)) {
        case 'd' -> Duration.ofDays(n);
        case 'h' -> Duration.ofHours(n);
        case 'm' -> Duration.ofMinutes(n);
        case 's' -> Duration.ofSeconds(n);
        default -> throw new NumberFormatException();
      };
    } catch (RuntimeException e) {
      if (e instanceof DateTimeParseException || e instanceof NumberFormatException
          || e instanceof StringIndexOutOfBoundsException) {
        throw new ConfigurationException("option " + option + "='" + value
            + "' is not a duration; use e.g. 30d, 12h, 15m, 90s, 250ms or ISO-8601 P30D");
      }
      throw e;
    }
  }

  static boolean bool(String option, String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw new ConfigurationException("option " + option + "='" + value + "' is not a boolean; use true or false");
    };
  }

  static int integer(String option, String value, int min, int max) {
    try {
      int n = Integer.parseInt(value.trim());
      if (n < min || n > max) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigurationException("option " + option + "='" + value + "' must be an integer in " + min + ".." + max);
    }
  }
}
