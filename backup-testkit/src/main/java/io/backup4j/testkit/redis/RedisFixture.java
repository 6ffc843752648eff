package io.backup4j.testkit.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import redis.embedded.core.ExecutableProvider;

/**
 * A real {@code redis-server} child process on a free loopback port, with its own {@code redis.conf} and data
 * directory, stopped by {@link #close()} (use it with JUnit's {@code @AutoClose} or try-with-resources).
 *
 * <pre>{@code
 * try (RedisFixture redis = RedisFixture.embedded().config("repl-diskless-sync yes").start();
 *     RedisTestClient c = redis.client()) {
 *   c.call("SET", "k", "v");
 * }
 * }</pre>
 *
 * <p>{@link #embedded()} runs the Redis 6.2 binary shipped in {@code com.github.codemonstur:embedded-redis}
 * (Linux/macOS x86-64 and arm64); {@link #system()} runs the machine's {@code redis-server} (Debian's package:
 * Redis 7.0), found via the environment variable {@value #BINARY_ENV}, then {@code PATH}, then
 * {@code /usr/bin/redis-server} — check {@link #systemBinary()} and skip with a reason when it is absent. The
 * server starts with {@code save ""} (no automatic saves), {@code appendonly no} and
 * {@code repl-diskless-sync-delay 0} (a diskless snapshot would otherwise wait 5 s for more replicas).
 */
public final class RedisFixture implements AutoCloseable {
  /** Environment variable naming the {@code redis-server} binary {@link #system()} uses. */
  public static final String BINARY_ENV = "BACKUP4J_REDIS_SERVER";

  private static @Nullable Path embeddedBinary;

  private final Process process;
  private final Path directory;
  private final boolean ownsDirectory;
  private final int port;
  private final @Nullable String password;
  private final int tlsPort;

  private RedisFixture(Process process, Path directory, boolean ownsDirectory, int port, @Nullable String password,
      int tlsPort) {
    this.process = process;
    this.directory = directory;
    this.ownsDirectory = ownsDirectory;
    this.port = port;
    this.password = password;
    this.tlsPort = tlsPort;
  }

  /** A builder for the embedded Redis 6.2 server. */
  public static Builder embedded() {
    return new Builder(null);
  }

  /**
   * A builder for the system's {@code redis-server}.
   *
   * @throws IllegalStateException if there is none; check {@link #systemBinary()} first
   */
  public static Builder system() {
    return new Builder(systemBinary().orElseThrow(() -> new IllegalStateException(
        "no redis-server found (set " + BINARY_ENV + ", put it on PATH or install Debian's redis-server)")));
  }

  /** The system's {@code redis-server}, if there is one. */
  public static Optional<Path> systemBinary() {
    String env = System.getenv(BINARY_ENV);
    if (env != null && !env.isBlank()) {
      Path p = Path.of(env);
      return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }
    String path = Objects.requireNonNullElse(System.getenv("PATH"), "");
    return Stream.concat(Stream.of(path.split(java.io.File.pathSeparator)), Stream.of("/usr/bin", "/usr/local/bin"))
        .filter(d -> !d.isEmpty())
        .map(d -> Path.of(d, "redis-server"))
        .filter(Files::isExecutable)
        .findFirst();
  }

  private static synchronized Path embeddedBinary() throws IOException {
    if (embeddedBinary == null) {
      Path p = ExecutableProvider.newJarResourceProvider().get().toPath();
      p.toFile().setExecutable(true);
      embeddedBinary = p;
    }
    return embeddedBinary;
  }

  /** Configures and starts a server. */
  public static final class Builder {
    private final @Nullable Path binary;
    private final List<String> config = new ArrayList<>();
    private @Nullable Path directory;
    private @Nullable String password;
    private boolean tls;

    private Builder(@Nullable Path binary) {
      this.binary = binary;
    }

    /** Adds a {@code redis.conf} line, e.g. {@code repl-diskless-sync yes} or {@code rename-command SYNC ""}. */
    public Builder config(String line) {
      config.add(Objects.requireNonNull(line, "line is null"));
      return this;
    }

    /**
     * Sets {@code requirepass}; the fixture's own clients authenticate with it. Any printable password works: it is
     * written to {@code redis.conf} as a double-quoted string.
     */
    public Builder requirePass(String password) {
      Objects.requireNonNull(password, "password is null");
      if (password.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
        throw new IllegalArgumentException("a requirepass password cannot hold control characters");
      }
      this.password = password;
      // redis.conf lines are split like a shell would; inside double quotes \\ and \" are the only escapes needed
      return config("requirepass \"" + password.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
    }

    /**
     * Also listens for TLS on {@link #tlsPort()}, with this PEM certificate and key (clients are not asked for
     * certificates). Needs a {@code redis-server} built with TLS, such as Debian's.
     */
    public Builder tls(Path certificate, Path key) {
      this.tls = true;
      config("tls-cert-file " + certificate);
      config("tls-key-file " + key);
      config("tls-ca-cert-file " + certificate);
      return config("tls-auth-clients no");
    }

    /** Sets {@code repl-diskless-sync}: {@code true} sends snapshots in the diskless ({@code $EOF:}) form. */
    public Builder disklessSync(boolean diskless) {
      return config("repl-diskless-sync " + (diskless ? "yes" : "no"));
    }

    /**
     * Uses this directory as {@code dir} (a {@code dump.rdb} in it is loaded at start) and leaves it in place on
     * close. By default a new temporary directory is used and deleted.
     */
    public Builder directory(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory is null");
      return this;
    }

    /** Starts the server and waits until it accepts connections (its data loaded). */
    public RedisFixture start() {
      try {
        Path bin = binary != null ? binary : embeddedBinary();
        boolean owns = directory == null;
        Path dir = owns ? Files.createTempDirectory("backup4j-redis-") : directory;
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
          int port = freePort();
          int tlsPort = tls ? freePort() : -1;
          Path conf = dir.resolve("redis-" + port + ".conf");
          List<String> lines = new ArrayList<>(List.of(
              "port " + port, "bind 127.0.0.1", "protected-mode no", "daemonize no", "dir " + dir,
              "dbfilename dump.rdb", "save \"\"", "appendonly no", "repl-diskless-sync-delay 0",
              "logfile \"\""));
          if (tls) {
            lines.add("tls-port " + tlsPort);
          }
          lines.addAll(config);
          Files.write(conf, lines, StandardCharsets.UTF_8);
          Path log = dir.resolve("redis-" + port + ".log");
          Process p = new ProcessBuilder(List.of(bin.toString(), conf.toString()))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
          try {
            waitReady(p, log);
            return new RedisFixture(p, dir, owns, port, password, tlsPort);
          } catch (IOException e) {
            p.destroyForcibly();
            last = e;
            if (!e.getMessage().contains("in use")) {
              break;
            }
          }
        }
        throw Objects.requireNonNull(last);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start redis-server: " + e.getMessage(), e);
      }
    }

    private static void waitReady(Process p, Path log) throws IOException {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline) {
        String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        if (text.contains("Ready to accept connections")) {
          return;
        }
        if (!p.isAlive()) {
          throw new IOException("redis-server exited with " + p.exitValue() + ":\n" + text);
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
      throw new IOException("redis-server did not become ready within 60 s:\n" + Files.readString(log));
    }

    private static int freePort() throws IOException {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        return s.getLocalPort();
      }
    }
  }

  /** {@code 127.0.0.1}. */
  public String host() {
    return "127.0.0.1";
  }

  /** The port the server listens on. */
  public int port() {
    return port;
  }

  /** The TLS port, or -1 if the server was started without {@link Builder#tls}. */
  public int tlsPort() {
    return tlsPort;
  }

  /** {@code redis://127.0.0.1:<port>}, without credentials. */
  public String uri() {
    return "redis://" + host() + ":" + port;
  }

  /** The server's {@code dir}. */
  public Path directory() {
    return directory;
  }

  /** The server's log so far. */
  public String log() {
    try {
      Path log = directory.resolve("redis-" + port + ".log");
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A new client, authenticated with the {@code requirepass} password if one was set. */
  public RedisTestClient client() {
    RedisTestClient c = new RedisTestClient(host(), port);
    if (password != null) {
      c.call("AUTH", password);
    }
    return c;
  }

  /** The server's {@code redis_version}, e.g. {@code 7.0.15}. */
  public String version() {
    try (RedisTestClient c = client()) {
      String info = Objects.requireNonNull(c.string("INFO", "server"));
      for (String line : info.split("\r?\n")) {
        if (line.startsWith("redis_version:")) {
          return line.substring("redis_version:".length()).trim();
        }
      }
      return "unknown";
    }
  }

  /** Stops the server without saving and deletes its directory if the fixture created it. Idempotent. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    if (ownsDirectory) {
      try (Stream<Path> files = Files.walk(directory)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      } catch (IOException ignored) {
        // a temporary directory; nothing else to do
      }
    }
  }

  @Override
  public String toString() {
    return "RedisFixture[" + uri() + ", " + directory + "]";
  }
}
