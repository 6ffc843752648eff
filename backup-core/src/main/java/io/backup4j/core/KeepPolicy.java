package io.backup4j.core;

import io.backup4j.api.BackupId;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.Manifest;
import io.backup4j.api.RetentionPolicy;
import io.backup4j.api.spi.RetentionPolicyProvider;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.temporal.IsoFields;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code keep} retention policy: grandfather-father-son plus a time window, as restic and Borg do it.
 *
 * <p>A backup is kept if any rule keeps it: {@code last=N} the N newest; {@code hourly/daily/weekly/monthly/yearly=N}
 * the newest backup of each of the N most recent hours/days/ISO weeks/months/years that have backups (UTC);
 * {@code within=30d} everything that started within the duration ({@code 12h}, {@code 30d}, {@code 8w}). Everything
 * else has expired. A policy with no rule is refused.
 */
public final class KeepPolicy implements RetentionPolicy {
  private static final Pattern DURATION = Pattern.compile("(\\d+)([hdw])");
  private static final List<String> RULES = List.of("last", "hourly", "daily", "weekly", "monthly", "yearly", "within");
  private final Map<String, String> rules;

  private KeepPolicy(Map<String, String> rules) {
    this.rules = rules;
  }

  /**
   * Parses a policy from rules such as {@code last=7, daily=14}.
   *
   * @throws ConfigurationException for an unknown rule or a bad value
   */
  public static KeepPolicy of(Map<String, String> parameters) {
    Map<String, String> r = new TreeMap<>();
    for (var e : parameters.entrySet()) {
      if (!RULES.contains(e.getKey())) {
        throw new ConfigurationException("unknown retention rule '" + e.getKey() + "'; known rules: " + RULES);
      }
      if (e.getKey().equals("within")) {
        parseDuration(e.getValue());
      } else {
        int n = parseCount(e.getKey(), e.getValue());
        if (n < 0) {
          throw new ConfigurationException("retention rule " + e.getKey() + " must be >= 0, was " + n);
        }
      }
      r.put(e.getKey(), e.getValue());
    }
    if (r.isEmpty()) {
      throw new ConfigurationException("a keep policy needs at least one rule, e.g. last=7 or daily=14");
    }
    return new KeepPolicy(Map.copyOf(r));
  }

  /**
   * Parses {@code last=7,daily=14} (the CLI form).
   *
   * @throws ConfigurationException for a malformed text
   */
  public static KeepPolicy parse(String text) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String item : text.split(",")) {
      String[] kv = item.trim().split("=", 2);
      if (kv.length != 2) {
        throw new ConfigurationException("malformed retention rule '" + item + "'; write rules as name=value, e.g. last=7,daily=14");
      }
      m.put(kv[0].trim(), kv[1].trim());
    }
    return of(m);
  }

  private static int parseCount(String rule, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new ConfigurationException("retention rule " + rule + " needs a number, was '" + value + "'");
    }
  }

  static Duration parseDuration(String value) {
    Matcher m = DURATION.matcher(value);
    if (!m.matches()) {
      throw new ConfigurationException("retention rule within needs a duration like 12h, 30d or 8w, was '" + value + "'");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "h" -> Duration.ofHours(n);
      case "d" -> Duration.ofDays(n);
      default -> Duration.ofDays(7 * n);
    };
  }

  @Override
  public String describe() {
    StringBuilder sb = new StringBuilder("keep");
    rules.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(e -> sb.append(sb.length() == 4 ? " " : ",").append(e.getKey()).append('=').append(e.getValue()));
    return sb.toString();
  }

  @Override
  public Set<BackupId> expired(List<Manifest> newestFirst, Instant now) {
    Set<BackupId> keep = new HashSet<>();
    if (rules.containsKey("last")) {
      newestFirst.stream().limit(Integer.parseInt(rules.get("last"))).forEach(m -> keep.add(m.id()));
    }
    bucket(newestFirst, "hourly", t -> t.truncatedTo(ChronoUnit.HOURS).toString(), keep);
    bucket(newestFirst, "daily", t -> t.toLocalDate().toString(), keep);
    bucket(newestFirst, "weekly", t -> t.get(IsoFields.WEEK_BASED_YEAR) + "-W" + t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR), keep);
    bucket(newestFirst, "monthly", t -> t.getYear() + "-" + t.getMonthValue(), keep);
    bucket(newestFirst, "yearly", t -> Integer.toString(t.getYear()), keep);
    if (rules.containsKey("within")) {
      Instant cutoff = now.minus(parseDuration(rules.get("within")));
      newestFirst.stream().filter(m -> !m.startedAt().isBefore(cutoff)).forEach(m -> keep.add(m.id()));
    }
    Set<BackupId> expired = new HashSet<>();
    newestFirst.stream().filter(m -> !keep.contains(m.id())).forEach(m -> expired.add(m.id()));
    return expired;
  }

  private void bucket(List<Manifest> newestFirst, String rule, Function<ZonedDateTime, String> period, Set<BackupId> keep) {
    if (!rules.containsKey(rule)) {
      return;
    }
    int n = Integer.parseInt(rules.get(rule));
    Set<String> seen = new HashSet<>();
    for (Manifest m : newestFirst) {
      if (seen.size() >= n) {
        break;
      }
      if (seen.add(period.apply(m.startedAt().atZone(ZoneOffset.UTC)))) {
        keep.add(m.id());
      }
    }
  }

  @Override
  public String toString() {
    return describe();
  }

  /** The {@code keep} provider. */
  public static final class Provider implements RetentionPolicyProvider {
    /** For ServiceLoader. */
    public Provider() {}

    @Override
    public String name() {
      return "keep";
    }

    @Override
    public RetentionPolicy create(Map<String, String> parameters) {
      return KeepPolicy.of(parameters);
    }
  }
}
