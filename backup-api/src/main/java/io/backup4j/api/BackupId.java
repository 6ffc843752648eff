package io.backup4j.api;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The identifier of one backup, e.g. {@code 20261125T081236Z-3f9a2c1b}: a UTC timestamp (so ids sort in time order)
 * and a random suffix (so two backups started in the same second never collide).
 *
 * <p>Ids become storage keys, so they are validated: 1 to 64 characters of {@code [A-Za-z0-9._-]}, starting with a
 * letter or digit, never {@code .} or {@code ..}.
 *
 * @param value the id as text
 */
public record BackupId(String value) implements Comparable<BackupId> {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Validates the id. */
  public BackupId {
    Objects.requireNonNull(value, "value is null");
    if (!VALID.matcher(value).matches() || value.contains("..")) {
      throw new ConfigurationException("invalid backup id '" + printable(value)
          + "': use 1-64 characters of letters, digits, '.', '_' and '-', starting with a letter or digit, without '..'");
    }
  }

  /** Parses and validates an id given by a user. */
  public static BackupId of(String value) {
    return new BackupId(value);
  }

  /** A new id for a backup starting at {@code startedAt}. */
  public static BackupId generate(Instant startedAt) {
    byte[] suffix = new byte[4];
    RANDOM.nextBytes(suffix);
    return new BackupId(STAMP.format(startedAt) + "-" + HexFormat.of().formatHex(suffix));
  }

  @Override
  public int compareTo(BackupId o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }

  static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && i < 100; i++) {
      char c = s.charAt(i);
      sb.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return s.length() > 100 ? sb + "..." : sb.toString();
  }
}
