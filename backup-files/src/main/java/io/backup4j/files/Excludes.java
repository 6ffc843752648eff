package io.backup4j.files;

import io.backup4j.api.ConfigurationException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code exclude} option: comma-separated globs ({@link java.nio.file.FileSystem#getPathMatcher} syntax) matched
 * against paths relative to the backup root, with {@code /} as separator.
 *
 * <ul>
 *   <li>A pattern without {@code /} matches an entry's name at any depth: {@code *.tmp} excludes {@code a.tmp} and
 *       {@code x/y/b.tmp}.
 *   <li>A pattern with {@code /} matches the whole relative path: {@code cache/**} excludes everything below the
 *       top-level {@code cache} (which is kept, empty); a leading {@code /} is allowed and means the same.
 *   <li>A trailing {@code /} restricts the pattern to directories: {@code build/} excludes directories named
 *       {@code build}, not files.
 *   <li>An excluded directory is not descended into. Commas inside braces ({@code *.{tmp,bak}}) do not separate.
 * </ul>
 */
final class Excludes {
  private record Rule(String glob, PathMatcher matcher, boolean nameOnly, boolean directoriesOnly) {}

  private final List<Rule> rules;
  private final String text;

  private Excludes(List<Rule> rules, String text) {
    this.rules = rules;
    this.text = text;
  }

  /** No exclusions. */
  static Excludes none() {
    return new Excludes(List.of(), "");
  }

  /**
   * Parses the option value.
   *
   * @throws ConfigurationException naming a pattern that is not a valid glob
   */
  static Excludes parse(String csv) {
    List<Rule> rules = new ArrayList<>();
    for (String raw : split(csv)) {
      String p = raw.trim();
      if (p.isEmpty()) {
        continue;
      }
      boolean dirsOnly = p.endsWith("/");
      if (dirsOnly) {
        p = p.substring(0, p.length() - 1);
      }
      boolean anchored = p.startsWith("/");
      while (p.startsWith("/")) {
        p = p.substring(1);
      }
      if (p.isEmpty()) {
        throw new ConfigurationException("exclude pattern '" + raw.trim() + "' would exclude the whole tree");
      }
      boolean nameOnly = !anchored && p.indexOf('/') < 0;
      try {
        rules.add(new Rule(raw.trim(), FileSystems.getDefault().getPathMatcher("glob:" + p), nameOnly, dirsOnly));
      } catch (PatternSyntaxException e) {
        throw new ConfigurationException("invalid exclude pattern '" + raw.trim() + "': " + e.getDescription(), e);
      }
    }
    return new Excludes(List.copyOf(rules), csv.trim());
  }

  /** Whether the entry at {@code relative} (e.g. {@code a/b/c.tmp}, no leading or trailing slash) is excluded. */
  boolean excludes(String relative, boolean directory) {
    if (rules.isEmpty()) {
      return false;
    }
    Path path = Path.of(relative);
    Path name = path.getFileName();
    for (Rule r : rules) {
      if (r.directoriesOnly() && !directory) {
        continue;
      }
      if (r.matcher().matches(r.nameOnly() ? name : path)) {
        return true;
      }
    }
    return false;
  }

  boolean isEmpty() {
    return rules.isEmpty();
  }

  @Override
  public String toString() {
    return text;
  }

  private static List<String> split(String csv) {
    List<String> parts = new ArrayList<>();
    int depth = 0;
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < csv.length(); i++) {
      char c = csv.charAt(i);
      if (c == '\\' && i + 1 < csv.length()) {
        cur.append(c).append(csv.charAt(++i));
        continue;
      }
      if (c == '{') {
        depth++;
      } else if (c == '}' && depth > 0) {
        depth--;
      } else if (c == ',' && depth == 0) {
        parts.add(cur.toString());
        cur.setLength(0);
        continue;
      }
      cur.append(c);
    }
    parts.add(cur.toString());
    return parts;
  }
}
