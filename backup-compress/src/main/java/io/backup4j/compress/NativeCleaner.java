package io.backup4j.compress;

import java.lang.ref.Cleaner;

/**
 * Frees native zstd contexts of streams that were abandoned without {@code close()} (a failed or cancelled part),
 * once they become unreachable. Without it each such stream would keep its native memory, and with
 * {@code workers > 0} its native threads, for the life of the process.
 */
final class NativeCleaner {
  static final Cleaner CLEANER = Cleaner.create();

  private NativeCleaner() {}
}
