package io.backup4j.benchmarks;

import java.util.Map;

/** Parameters the benchmarked transforms need beyond level and workers (encryption keys, once they are measured). */
final class Keys {
  private Keys() {}

  static Map<String, Map<String, String>> transformOptions() {
    return Map.of();
  }
}
