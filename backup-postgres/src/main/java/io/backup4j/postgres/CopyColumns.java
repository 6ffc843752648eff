package io.backup4j.postgres;

import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The table and columns of a {@code COPY name (col, ...) FROM stdin} statement as pg_dump writes it, each name kept
 * as written (quoted or not).
 *
 * @param table the qualified table name, e.g. {@code public."Order"}
 * @param columns the column names, in order
 */
record CopyColumns(String table, List<String> columns) {
  private static final String FROM = " FROM stdin";

  /** The statement's table and columns (without its ';'), or null if it is not in that form or has no columns. */
  static @Nullable CopyColumns parse(String sql) {
    if (!sql.startsWith("COPY ") || !sql.endsWith(FROM)) {
      return null;
    }
    int p = 5;
    int start = p;
    // a qualified name: identifiers joined by '.'
    while (true) {
      p = identifier(sql, p);
      if (p < 0) {
        return null;
      }
      if (p < sql.length() && sql.charAt(p) == '.') {
        p++;
        continue;
      }
      break;
    }
    String table = sql.substring(start, p);
    if (!sql.startsWith(" (", p)) {
      return null; // no column list
    }
    p += 2;
    List<String> columns = new ArrayList<>();
    while (true) {
      int q = identifier(sql, p);
      if (q < 0) {
        return null;
      }
      columns.add(sql.substring(p, q));
      if (sql.startsWith(", ", q)) {
        p = q + 2;
      } else if (sql.startsWith(")", q) && q + 1 == sql.length() - FROM.length()) {
        return new CopyColumns(table, List.copyOf(columns));
      } else {
        return null;
      }
    }
  }

  /** The end of the identifier at p: {@code "..."} with {@code ""} inside, or a run of plain characters; -1 if none. */
  private static int identifier(String s, int p) {
    if (p >= s.length()) {
      return -1;
    }
    if (s.charAt(p) == '"') {
      int i = p + 1;
      while (i < s.length()) {
        if (s.charAt(i) == '"') {
          if (i + 1 < s.length() && s.charAt(i + 1) == '"') {
            i += 2;
            continue;
          }
          return i + 1 > p + 2 ? i + 1 : -1;
        }
        i++;
      }
      return -1;
    }
    int i = p;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (!(Character.isLetterOrDigit(c) || c == '_' || c == '$')) {
        break;
      }
      i++;
    }
    return i > p ? i : -1;
  }
}
