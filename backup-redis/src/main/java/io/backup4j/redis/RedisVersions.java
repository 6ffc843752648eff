package io.backup4j.redis;

/** Which RDB format versions a Redis release reads. */
final class RedisVersions {
  /** The newest RDB format this code knows a release for. */
  static final int NEWEST_KNOWN_RDB = 12;

  private RedisVersions() {}

  /**
   * The newest RDB format version a Redis server of this {@code redis_version} loads: 2.6-3.0 read 6, 3.2 reads 7,
   * 4.0 reads 8, 5.0-6.2 read 9, 7.0 reads 10, 7.2 reads 11, 7.4 and 8.x read 12. Releases newer than this table
   * are assumed to read at least {@link #NEWEST_KNOWN_RDB}. (Valkey reports {@code redis_version:7.2.4}, which
   * maps to 11: conservative, never too high.)
   */
  static int maxRdbVersion(String redisVersion) {
    String[] p = redisVersion.split("[.-]");
    int major;
    int minor;
    try {
      major = Integer.parseInt(p[0]);
      minor = p.length > 1 ? Integer.parseInt(p[1]) : 0;
    } catch (NumberFormatException e) {
      return NEWEST_KNOWN_RDB;
    }
    int v = major * 100 + minor;
    if (v >= 704) {
      return 12;
    } else if (v >= 702) {
      return 11;
    } else if (v >= 700) {
      return 10;
    } else if (v >= 500) {
      return 9;
    } else if (v >= 400) {
      return 8;
    } else if (v >= 302) {
      return 7;
    } else if (v >= 206) {
      return 6;
    }
    return 5;
  }

  /** The first Redis release that reads this RDB version, for messages ({@code "7.0"}). */
  static String firstReleaseReading(int rdbVersion) {
    return switch (rdbVersion) {
      case 1, 2, 3, 4, 5, 6 -> "2.6";
      case 7 -> "3.2";
      case 8 -> "4.0";
      case 9 -> "5.0";
      case 10 -> "7.0";
      case 11 -> "7.2";
      case 12 -> "7.4";
      default -> "a release newer than 8.x";
    };
  }
}
