package io.backup4j.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.testkit.redis.RedisTestClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** Test data of every Redis type across several databases, and a canonical dump of a server for comparison. */
final class RedisData {
  static final int BIG_KEY_BYTES = 1_500_000;

  private RedisData() {}

  /** Fills databases 0, 1 and 5 with every type; returns the number of keys written per database. */
  static Map<Integer, Integer> populate(RedisTestClient c, boolean streams) {
    Map<Integer, Integer> counts = new TreeMap<>();
    Random random = new Random(42);
    for (int db : new int[] {0, 1, 5}) {
      c.call("SELECT", db);
      int n = 0;
      for (int i = 0; i < 50; i++) {
        c.call("SET", "str:" + db + ":" + i, "value-" + i + "-" + "x".repeat(i));
        n++;
      }
      c.call("SET", "int:" + db, 12345);
      c.call("SET", "bin:" + db, new byte[] {0, 1, 2, (byte) 0xff, '\r', '\n'});
      c.call("RPUSH", "list:small:" + db, "a", "b", "c");
      for (int i = 0; i < 20; i++) {
        Object[] args = new Object[102];
        args[0] = "RPUSH";
        args[1] = "list:big:" + db;
        for (int j = 0; j < 100; j++) {
          args[j + 2] = "element-" + i + "-" + j;
        }
        c.call(args);
      }
      c.call("HSET", "hash:small:" + db, "f1", "v1", "f2", "v2");
      for (int i = 0; i < 300; i++) {
        c.call("HSET", "hash:big:" + db, "field" + i, "value" + i);
      }
      c.call("SADD", "set:int:" + db, 1, 2, 3, 42);
      c.call("SADD", "set:str:" + db, "red", "green", "blue");
      for (int i = 0; i < 300; i++) {
        c.call("SADD", "set:big:" + db, "member" + i);
      }
      c.call("ZADD", "zset:small:" + db, 1, "one", 2.5, "two-and-a-half");
      for (int i = 0; i < 300; i++) {
        c.call("ZADD", "zset:big:" + db, random.nextDouble() * 1000, "m" + i);
      }
      n += 2 + 1 + 1 + 2 + 3 + 2;
      if (streams) {
        for (int i = 0; i < 20; i++) {
          c.call("XADD", "stream:" + db, "*", "field", "v" + i, "n", i);
        }
        c.call("XGROUP", "CREATE", "stream:" + db, "group1", "0");
        c.call("XREADGROUP", "GROUP", "group1", "consumer1", "COUNT", 5, "STREAMS", "stream:" + db, ">");
        n++;
      }
      for (int i = 0; i < 5; i++) {
        c.call("SET", "ttl:" + db + ":" + i, "expiring", "EX", 3600 + i);
        n++;
      }
      c.call("HSET", "ttl:hash:" + db, "f", "v");
      c.call("PEXPIRE", "ttl:hash:" + db, 7_200_000);
      n++;
      counts.put(db, n);
    }
    c.call("SELECT", 0);
    if (hasFunctions(c)) {
      c.call("FUNCTION", "LOAD", "#!lua name=backup4jlib\n"
          + "redis.register_function('answer', function(keys, args) return 42 end)");
    }
    byte[] big = new byte[BIG_KEY_BYTES];
    random.nextBytes(big);
    c.call("SET", "big:blob", big);
    counts.merge(0, 1, Integer::sum);
    return counts;
  }

  /** A canonical description of every key (type, value, and TTL rounded to minutes) in every database. */
  static Map<String, String> dump(RedisTestClient c) {
    Map<String, String> all = new TreeMap<>();
    for (int db = 0; db < 16; db++) {
      c.call("SELECT", db);
      for (Object k : c.list("KEYS", "*")) {
        byte[] key = (byte[]) k;
        String name = db + "/" + new String(key, StandardCharsets.UTF_8);
        String type = c.string("TYPE", key);
        String value = switch (type) {
          case "string" -> b64(c.call("GET", key));
          case "list" -> join(c.list("LRANGE", key, 0, -1), 0);
          case "hash" -> join(c.list("HGETALL", key), 2);
          case "set" -> join(c.list("SMEMBERS", key), 1);
          case "zset" -> join(c.list("ZRANGE", key, 0, -1, "WITHSCORES"), 0);
          case "stream" -> join(c.list("XRANGE", key, "-", "+"), 0) + " groups=" + groups(c.list("XINFO", "GROUPS",
              key));
          default -> throw new AssertionError("unexpected type " + type + " of " + name);
        };
        long pttl = c.integer("PTTL", key);
        // TTLs compared within a tolerance: restored keys count down from the restore, not the backup
        String ttl = pttl < 0 ? "none" : "~" + Math.round(pttl / 60_000.0) + "min";
        all.put(name, type + " ttl=" + ttl + " " + value);
      }
    }
    c.call("SELECT", 0);
    if (hasFunctions(c)) {
      List<?> functions = c.list("FUNCTION", "LIST", "WITHCODE");
      if (!functions.isEmpty()) {
        all.put("functions", join(functions, 0));
      }
    }
    return all;
  }

  static void assertSameData(RedisTestClient expected, RedisTestClient actual) {
    Map<String, String> e = dump(expected);
    Map<String, String> a = dump(actual);
    assertThat(a.keySet()).containsExactlyInAnyOrderElementsOf(e.keySet());
    for (String k : e.keySet()) {
      assertThat(a.get(k)).as("key %s", k).isEqualTo(e.get(k));
    }
  }

  /** Redis 7 has functions (stored in the RDB since format 10). */
  static boolean hasFunctions(RedisTestClient c) {
    String info = c.string("INFO", "server");
    return info != null && !info.contains("redis_version:6.") && !info.contains("redis_version:5.");
  }

  private static String b64(Object o) {
    return Base64.getEncoder().encodeToString((byte[]) o);
  }

  /** The group fields every version reports (7.0 adds entries-read and lag, unknown for RDB 9 streams). */
  private static String groups(List<?> groups) {
    List<String> out = new ArrayList<>();
    for (Object g : groups) {
      List<?> fields = (List<?>) g;
      Map<String, String> kept = new TreeMap<>();
      for (int i = 0; i + 1 < fields.size(); i += 2) {
        String name = new String((byte[]) fields.get(i), StandardCharsets.UTF_8);
        if (List.of("name", "consumers", "pending", "last-delivered-id").contains(name)) {
          Object v = fields.get(i + 1);
          kept.put(name, v instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(v));
        }
      }
      out.add(kept.toString());
    }
    return out.toString();
  }

  /** mode 0: in order; 1: sorted (sets); 2: sorted field=value pairs (hashes). */
  private static String join(List<?> items, int mode) {
    List<String> parts = new ArrayList<>();
    for (Object o : items) {
      if (o instanceof byte[] b) {
        parts.add(b64(b));
      } else if (o instanceof List<?> l) {
        parts.add("[" + join(l, 0) + "]");
      } else {
        parts.add(String.valueOf(o));
      }
    }
    if (mode == 2) {
      List<String> pairs = new ArrayList<>();
      for (int i = 0; i + 1 < parts.size(); i += 2) {
        pairs.add(parts.get(i) + "=" + parts.get(i + 1));
      }
      parts = pairs;
    }
    if (mode != 0) {
      java.util.Collections.sort(parts);
    }
    return String.join(",", parts);
  }
}
