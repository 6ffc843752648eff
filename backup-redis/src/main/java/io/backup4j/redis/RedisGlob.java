package io.backup4j.redis;

/**
 * Redis's glob matching ({@code KEYS}/{@code SCAN MATCH} semantics, {@code stringmatchlen} in {@code util.c}):
 * {@code *}, {@code ?}, {@code [abc]}, {@code [^a]}, {@code [a-z]} and {@code \} escapes, on raw bytes.
 */
final class RedisGlob {
  private RedisGlob() {}

  static boolean matches(byte[] pattern, byte[] string) {
    return match(pattern, 0, string, 0, 0);
  }

  private static boolean match(byte[] p, int pi, byte[] s, int si, int depth) {
    if (depth > 1000) {
      return false; // pathological patterns; Redis caps its recursion the same way
    }
    while (pi < p.length) {
      byte c = p[pi];
      switch (c) {
        case '*':
          while (pi + 1 < p.length && p[pi + 1] == '*') {
            pi++;
          }
          if (pi + 1 == p.length) {
            return true;
          }
          for (int k = si; k <= s.length; k++) {
            if (match(p, pi + 1, s, k, depth + 1)) {
              return true;
            }
          }
          return false;
        case '?':
          if (si >= s.length) {
            return false;
          }
          si++;
          break;
        case '[': {
          if (si >= s.length) {
            return false;
          }
          pi++;
          boolean not = pi < p.length && p[pi] == '^';
          if (not) {
            pi++;
          }
          boolean hit = false;
          while (pi < p.length && p[pi] != ']') {
            if (p[pi] == '\\' && pi + 1 < p.length) {
              pi++;
              hit |= p[pi] == s[si];
            } else if (pi + 2 < p.length && p[pi + 1] == '-' && p[pi + 2] != ']') {
              int lo = p[pi] & 0xff;
              int hi = p[pi + 2] & 0xff;
              if (lo > hi) {
                int t = lo;
                lo = hi;
                hi = t;
              }
              int ch = s[si] & 0xff;
              hit |= ch >= lo && ch <= hi;
              pi += 2;
            } else {
              hit |= p[pi] == s[si];
            }
            pi++;
          }
          if (not) {
            hit = !hit;
          }
          if (!hit) {
            return false;
          }
          si++;
          break;
        }
        case '\\':
          if (pi + 1 < p.length) {
            pi++; // match the escaped byte literally
          }
          if (si >= s.length || p[pi] != s[si]) {
            return false;
          }
          si++;
          break;
        default:
          if (si >= s.length || p[pi] != s[si]) {
            return false;
          }
          si++;
          break;
      }
      pi++;
    }
    return si == s.length;
  }
}
