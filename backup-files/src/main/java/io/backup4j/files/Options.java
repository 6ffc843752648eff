package io.backup4j.files;

import io.backup4j.api.ConfigurationException;
import io.backup4j.api.Redaction;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Option and location parsing shared by the source and the restore target. */
final class Options {
  private Options() {}

  /** Throws unless every key of {@code options} is in {@code accepted}, naming the unknown and the accepted keys. */
  static void validate(Map<String, String> options, Set<String> accepted, String what) {
    Set<String> unknown = new TreeSet<>(options.keySet());
    unknown.removeAll(accepted);
    if (!unknown.isEmpty()) {
      throw new ConfigurationException("unknown " + what + " option(s) " + unknown + "; accepted: "
          + new TreeSet<>(accepted));
    }
  }

  /** Parses a boolean option strictly: {@code true} or {@code false} (any case), absent means {@code false}. */
  static boolean bool(Map<String, String> options, String key) {
    String v = options.get(key);
    if (v == null) {
      return false;
    }
    switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "true":
        return true;
      case "false":
        return false;
      default:
        throw new ConfigurationException("option " + key + " must be true or false, not '" + v + "'");
    }
  }

  /**
   * The directory a {@code files:} (or, for targets, {@code file:}) URI names. Accepts {@code files:/srv/media},
   * {@code files:///srv/media}, {@code files://localhost/srv/media} and a relative {@code files:media} (resolved
   * against the working directory). Query parameters ({@code ?exclude=*.tmp}) are copied into {@code options}.
   */
  static Path directory(URI uri, Set<String> schemes, Map<String, String> queryOptions) {
    String scheme = uri.getScheme();
    String shown = Redaction.redact(uri.toString());
    if (scheme == null || !schemes.contains(scheme.toLowerCase(Locale.ROOT))) {
      throw new ConfigurationException("not a " + String.join("/", new TreeSet<>(schemes)) + ": URI: " + shown);
    }
    String rawPath;
    String rawQuery;
    if (uri.isOpaque()) {
      // files:relative/dir?x=y is opaque: java.net.URI does not split path and query for us
      String ssp = uri.getRawSchemeSpecificPart();
      int q = ssp.indexOf('?');
      rawPath = q < 0 ? ssp : ssp.substring(0, q);
      rawQuery = q < 0 ? null : ssp.substring(q + 1);
    } else {
      String authority = uri.getRawAuthority();
      if (authority != null && !authority.isEmpty() && !authority.equalsIgnoreCase("localhost")) {
        throw new ConfigurationException("the URI " + shown + " names host '" + uri.getHost()
            + "'; " + scheme + ": URIs name a local directory, e.g. " + scheme + ":/srv/media");
      }
      rawPath = uri.getRawPath();
      rawQuery = uri.getRawQuery();
    }
    if (uri.getRawFragment() != null) {
      throw new ConfigurationException("the URI " + shown + " has a fragment (#...); remove it");
    }
    if (rawPath == null || rawPath.isEmpty()) {
      throw new ConfigurationException("the URI " + shown + " names no directory; use e.g. " + scheme + ":/srv/media");
    }
    if (rawQuery != null && !rawQuery.isEmpty()) {
      for (String pair : rawQuery.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String k = decode(eq < 0 ? pair : pair.substring(0, eq));
        String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
        queryOptions.put(k, v);
      }
    }
    return path(decode(rawPath));
  }

  /** {@code options} and {@code queryOptions} merged; a key given both ways with different values is an error. */
  static Map<String, String> merge(Map<String, String> options, Map<String, String> queryOptions) {
    Map<String, String> merged = new LinkedHashMap<>(queryOptions);
    options.forEach((k, v) -> {
      String q = merged.put(k, v);
      if (q != null && !q.equals(v)) {
        throw new ConfigurationException("option " + k + " is given in the URI as '" + q + "' and as an option as '"
            + v + "'; give it once");
      }
    });
    return merged;
  }

  static Path path(String s) {
    if (s.indexOf('\0') >= 0) {
      throw new ConfigurationException("the path contains a NUL character");
    }
    try {
      return Path.of(s).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      throw new ConfigurationException("invalid path '" + s + "': " + e.getReason(), e);
    }
  }

  /** Percent-decodes as UTF-8; unlike URLDecoder, {@code +} stays a plus sign as in URI paths and queries. */
  private static String decode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length()) {
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          throw new ConfigurationException("invalid percent-escape in '" + s + "'");
        }
        out.write(hi * 16 + lo);
        i += 2;
      } else if (c == '%') {
        throw new ConfigurationException("invalid percent-escape in '" + s + "'");
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
          b = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        out.write(b, 0, b.length);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
