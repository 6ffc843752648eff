package io.backup4j.postgres;

import io.backup4j.api.ConfigurationException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A PostgreSQL client program ({@code pg_dump}, {@code pg_restore}, {@code psql}) and its version, and the search for
 * one that is new enough.
 *
 * <p>pg_dump refuses to dump a server newer than itself, and pg_restore cannot read archives written by a newer
 * pg_dump; so a tool is chosen by major version: the lowest major that is at least the required one (closest to the
 * server), the newest minor of that major. Candidates come from the {@code binDir} option alone when it is set,
 * otherwise from {@code PATH}, {@code /usr/lib/postgresql/*}{@code /bin} (Debian), {@code /usr/pgsql-*}{@code /bin}
 * (RPM) and Homebrew's {@code postgresql@*} kegs.
 *
 * @param path the executable
 * @param version the version it reports, e.g. {@code 15.14}
 * @param major the major version, e.g. {@code 15}
 * @param minor the minor version
 */
record PgTool(Path path, String version, int major, int minor) {
  private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?");
  private static final Map<Path, CompletableFuture<Optional<PgTool>>> CACHE = new ConcurrentHashMap<>();

  /**
   * Finds a tool whose major version is at least {@code minMajor}.
   *
   * @param what what needs it, for the error message, e.g. {@code the server (PostgreSQL 17.2)}
   * @throws ConfigurationException naming the versions found, the version needed and the fix
   */
  static PgTool find(String name, int minMajor, String what, @Nullable Path binDir) {
    List<PgTool> found = found(name, binDir);
    Optional<PgTool> best = found.stream().filter(t -> t.major >= minMajor).min(PREFERRED);
    if (best.isPresent()) {
      return best.get();
    }
    String where = binDir != null ? "in binDir " + binDir : "on PATH, in /usr/lib/postgresql/*/bin or /usr/pgsql-*/bin";
    String fix = "install the PostgreSQL " + minMajor + " client programs (Debian/Ubuntu: apt-get install"
        + " postgresql-client-" + minMajor + " from apt.postgresql.org; RHEL: postgresql" + minMajor + ")"
        + " or set the option binDir to a directory holding " + name + " " + minMajor + " or newer";
    if (found.isEmpty()) {
      throw new ConfigurationException(name + " not found " + where + "; " + what + " needs " + name + " "
          + minMajor + " or newer: " + fix);
    }
    PgTool newest = found.stream().max(Comparator.comparingInt(PgTool::major)).orElseThrow();
    throw new ConfigurationException(name + " " + newest.version + " (" + newest.path + ") is too old: " + what
        + " needs " + name + " " + minMajor + " or newer (" + name + " must be at least the major version of the"
        + " server or archive); " + fix);
  }

  /** The candidates that answered their version probe, in the order of the directories searched. */
  private static List<PgTool> found(String name, @Nullable Path binDir) {
    List<PgTool> found = new ArrayList<>();
    for (CompletableFuture<Optional<PgTool>> probe : probes(name, binDir)) {
      probe.join().ifPresent(found::add);
    }
    return found;
  }

  /** {@link #find}'s order among the tools new enough: the oldest major, of that the newest minor. */
  private static final Comparator<PgTool> PREFERRED =
      Comparator.comparingInt(PgTool::major).thenComparing(Comparator.comparingInt(PgTool::minor).reversed());

  /**
   * The tool {@link #find} chooses for every version it accepts, when that choice does not depend on the version:
   * all candidates share one major version (one client installed, or {@code binDir} set). Empty when none is found
   * or their majors differ; then only {@link #find} with the version decides.
   */
  static Optional<PgTool> choiceWithoutVersion(String name, @Nullable Path binDir) {
    List<PgTool> found = found(name, binDir);
    if (found.stream().map(PgTool::major).distinct().count() != 1) {
      return Optional.empty();
    }
    return found.stream().min(PREFERRED);
  }

  /**
   * Starts asking every candidate {@code name} for its version, each on a thread of its own, so that the probes run
   * while the caller connects to the server; {@link #find} then waits for their answers instead of running them one
   * after the other.
   */
  static void prefetch(String name, @Nullable Path binDir) {
    probes(name, binDir);
  }

  private static List<CompletableFuture<Optional<PgTool>>> probes(String name, @Nullable Path binDir) {
    List<CompletableFuture<Optional<PgTool>>> probes = new ArrayList<>();
    for (Path dir : candidateDirs(binDir)) {
      Path exe = dir.resolve(name);
      if (Files.isRegularFile(exe) && Files.isExecutable(exe)) {
        probes.add(probeAsync(exe));
      }
    }
    return probes;
  }

  private static Set<Path> candidateDirs(@Nullable Path binDir) {
    Set<Path> dirs = new LinkedHashSet<>();
    if (binDir != null) {
      dirs.add(binDir);
      return dirs;
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String p : path.split(java.io.File.pathSeparator)) {
        if (!p.isEmpty()) {
          dirs.add(Path.of(p));
        }
      }
    }
    addGlob(dirs, Path.of("/usr/lib/postgresql"), "bin");
    addGlob(dirs, Path.of("/usr"), "pgsql-", "bin");
    addGlob(dirs, Path.of("/opt/homebrew/opt"), "postgresql@", "bin");
    addGlob(dirs, Path.of("/usr/local/opt"), "postgresql@", "bin");
    dirs.add(Path.of("/usr/local/pgsql/bin"));
    return dirs;
  }

  private static void addGlob(Set<Path> dirs, Path parent, String sub) {
    addGlob(dirs, parent, "", sub);
  }

  private static void addGlob(Set<Path> dirs, Path parent, String prefix, String sub) {
    if (!Files.isDirectory(parent)) {
      return;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, prefix + "*")) {
      List<Path> children = new ArrayList<>();
      ds.forEach(children::add);
      children.sort(Comparator.naturalOrder());
      for (Path c : children) {
        dirs.add(c.resolve(sub));
      }
    } catch (IOException ignored) {
      // an unreadable directory just offers no candidates
    }
  }

  /** Runs {@code <exe> --version} on a thread of its own (cached per path). */
  private static CompletableFuture<Optional<PgTool>> probeAsync(Path exe) {
    // keyed by the path as found, not the real path: Debian's /usr/bin/pg_dump, pg_restore and psql are all links to
    // one pg_wrapper script
    return CACHE.computeIfAbsent(exe.toAbsolutePath().normalize(), k -> {
      CompletableFuture<Optional<PgTool>> f = new CompletableFuture<>();
      Thread t = new Thread(() -> {
        try {
          f.complete(runVersion(exe));
        } catch (RuntimeException | Error e) {
          f.complete(Optional.empty()); // a program that cannot be asked is no candidate
        }
      }, "backup4j-probe-" + exe.getFileName());
      t.setDaemon(true);
      t.start();
      return f;
    });
  }

  private static Optional<PgTool> runVersion(Path exe) {
    try {
      Process p = new ProcessBuilder(List.of(exe.toString(), "--version")).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out;
      try (InputStream in = p.getInputStream()) {
        out = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
      }
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return Optional.empty();
      }
      return p.exitValue() == 0 ? parse(exe, out) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  static Optional<PgTool> parse(Path exe, String versionOutput) {
    Matcher m = VERSION.matcher(versionOutput);
    if (!m.find()) {
      return Optional.empty();
    }
    int major = Integer.parseInt(m.group(1));
    int minor = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
    String version = m.group(1) + (m.group(2) == null ? "" : "." + m.group(2));
    if (major < 10) { // 9.6.24: the major is 9.6; order it below 10
      minor = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
      version = version + (m.group(3) == null ? "" : "." + m.group(3));
    }
    return Optional.of(new PgTool(exe, version, major, minor));
  }

  /** {@code 170002} → 17, {@code 90624} → 9. */
  static int majorOf(int serverVersionNum) {
    return serverVersionNum / 10000;
  }
}
