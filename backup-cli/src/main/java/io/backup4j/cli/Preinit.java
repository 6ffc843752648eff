package io.backup4j.cli;

import java.sql.DriverManager;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Does, on a daemon thread, the one-off initialisation a command is about to need, so that it runs on the second
 * core while the main thread parses the command line, instead of after it: Jackson's (every manifest is JSON), the
 * compressor's native library and, when the command names a PostgreSQL URI, the JDBC driver. Measured on two
 * cores: a {@code list} of a repository of 30 backups 24 ms sooner (median of 15 alternating runs), a PostgreSQL
 * restore's {@code pg_restore} starts about 0.08 s sooner; small next to the run-to-run spread of a fresh JVM.
 * (Running SCRAM's 4096 PBKDF2 rounds here once, for the JIT, showed no gain: they were not compiled in time.)
 *
 * <p>Nothing here is needed for correctness: every failure is ignored, and the main thread does the same work itself
 * if it gets there first. To keep the two threads from initialising classes in opposite orders, the main thread
 * waits for the Jackson step ({@link #awaitShared()}) before it runs the command; the JDBC driver is loaded through
 * {@link DriverManager}, as the first connection loads it, which serialises the two.
 * {@code -Dbackup4j.preinit=false} switches it off.
 */
final class Preinit {
  private static final Set<String> COMMANDS = Set.of("backup", "restore", "verify", "list", "prune", "delete");
  private static final CountDownLatch SHARED = new CountDownLatch(1);
  private static volatile boolean started;

  private Preinit() {}

  /** Starts the thread if the command is one that reads or writes backups. */
  static void start(String[] args) {
    if (!Boolean.parseBoolean(System.getProperty("backup4j.preinit", "true"))) {
      return;
    }
    String command = null;
    boolean postgres = false;
    for (String a : args) {
      if (command == null && !a.startsWith("-")) {
        command = a;
      }
      String l = a.toLowerCase(Locale.ROOT);
      postgres |= l.startsWith("postgres://") || l.startsWith("postgresql://") || l.startsWith("jdbc:postgresql:");
    }
    if (command == null || !COMMANDS.contains(command)) {
      return;
    }
    boolean withPostgres = postgres;
    Thread t = new Thread(() -> run(withPostgres), "backup4j-preinit");
    t.setDaemon(true);
    started = true;
    t.start();
  }

  /** Waits (at most 2 s) until the shared classes are initialised, if {@link #start} started the thread. */
  static void awaitShared() {
    if (!started) {
      return;
    }
    try {
      SHARED.await(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void run(boolean postgres) {
    try {
      initialise("io.backup4j.core.internal.ManifestCodec"); // its ObjectMapper: Jackson's whole set-up
      Main.json();
    } finally {
      SHARED.countDown();
    }
    initialise("com.github.luben.zstd.Zstd"); // extracts and loads the native library
    if (postgres) {
      try {
        DriverManager.getDrivers(); // loads and registers the driver, as the first connection would
      } catch (Exception | LinkageError ignored) {
        // the real connection reports whatever is wrong
      }
    }
  }

  private static void initialise(String className) {
    try {
      Class.forName(className, true, Preinit.class.getClassLoader());
    } catch (Exception | LinkageError ignored) {
      // not on the class path (a slimmer build): nothing to prepare
    }
  }
}
