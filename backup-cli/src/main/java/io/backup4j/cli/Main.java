package io.backup4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.backup4j.api.BackupException;
import io.backup4j.api.BackupId;
import io.backup4j.api.Cancellation;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.ErrorCode;
import io.backup4j.api.Manifest;
import io.backup4j.api.Redaction;
import io.backup4j.api.Secret;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.core.KeepPolicy;
import io.backup4j.core.ManifestJson;
import io.backup4j.core.Providers;
import io.backup4j.core.PreparedRestore;
import io.backup4j.core.RestoreJob;
import io.backup4j.crypto.AesGcmKeys;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code backup4j}: back up, list, verify, restore and delete backups from the command line. Exit codes are listed in
 * {@link ExitCodes}; {@code --json} prints machine-readable results on stdout, while progress and warnings go to
 * stderr.
 */
@Command(name = "backup4j", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = "Backs up and restores PostgreSQL, Redis and file trees into local or S3 storage.",
    footer = {"", "Exit codes: 0 ok, 1 internal error, 2 usage/configuration, 3 not found, 4 integrity failure,",
        "5 source/storage failure, 6 locked, 7 access denied (key/credentials), 130 cancelled."})
public final class Main implements Callable<Integer> {
  /** Created on first use: Jackson's initialisation is not free, and {@link Preinit} does it off the main thread. */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  }
  static volatile PrintStream out = System.out;
  static volatile PrintStream err = System.err;
  /** How long a signal waits for the cancelled command to clean up before the JVM halts anyway. */
  static final int CLEANUP_GRACE_SECONDS = 30;
  /** Released when the current command has returned; see {@link #cancelOnSignal()}. */
  private static volatile CountDownLatch finished = new CountDownLatch(0);
  private static final List<Thread> SIGNAL_HOOKS = new ArrayList<>();

  /**
   * The subcommands, in the order the usage lists them. Registered by {@link #run} rather than in the annotation: a
   * run that names one of them gets only that one, since picocli reads every registered command's annotations up
   * front, which in a fresh JVM took about a quarter of a second for all of them.
   */
  private static final Map<String, Class<?>> SUBCOMMANDS = subcommands();

  private static Map<String, Class<?>> subcommands() {
    Map<String, Class<?>> m = new LinkedHashMap<>();
    m.put("backup", BackupCmd.class);
    m.put("list", ListCmd.class);
    m.put("verify", VerifyCmd.class);
    m.put("restore", RestoreCmd.class);
    m.put("delete", DeleteCmd.class);
    m.put("prune", PruneCmd.class);
    m.put("unlock", UnlockCmd.class);
    m.put("cleanup", CleanupCmd.class);
    m.put("plugins", PluginsCmd.class);
    m.put("key", KeyCmd.class);
    m.put("demo", DemoCommand.class);
    return Collections.unmodifiableMap(m);
  }

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Runs the tool and exits with its exit code. */
  public static void main(String[] args) {
    Preinit.start(args);
    configureLogging();
    int rc = run(args, System.out, System.err);
    if (rc == 0) {
      markSucceeded();
    }
    System.exit(rc);
  }

  /**
   * Tells bin/backup4j that this run, which writes a class-data-sharing archive at exit, succeeded: only then does
   * the launcher keep the archive (a failed run may not have loaded the classes its command needs).
   */
  private static void markSucceeded() {
    String marker = System.getProperty("backup4j.cds.succeeded");
    if (marker != null) {
      try {
        java.nio.file.Files.write(Path.of(marker), new byte[0]);
      } catch (java.io.IOException | RuntimeException ignored) {
        // without the marker the next run writes a new archive: slower once, never wrong
      }
    }
  }

  /**
   * Logs go to stderr (stdout is reserved for results and JSON), at the level of {@code -Dbackup4j.log=error|warn|
   * info|debug|trace} (default error: the CLI reports failures itself); set before the first logger is created.
   */
  private static void configureLogging() {
    String level = System.getProperty("backup4j.log", "error");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
    System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
    System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
  }

  static ObjectMapper json() {
    return Json.MAPPER;
  }

  /** Runs the tool without exiting (for tests and embedding); returns the exit code. */
  public static synchronized int run(String[] args, PrintStream out, PrintStream err) {
    Main.out = out;
    Main.err = err;
    CommandLine cl = new CommandLine(new Main());
    Class<?> named = args.length > 0 ? SUBCOMMANDS.get(args[0]) : null;
    if (named != null) {
      cl.addSubcommand(args[0], named); // everything after it belongs to that command
    } else {
      // help, a root option, an unknown or missing command: picocli needs all of them to answer
      SUBCOMMANDS.forEach(cl::addSubcommand);
    }
    cl.setOut(new java.io.PrintWriter(out, true, StandardCharsets.UTF_8));
    cl.setErr(new java.io.PrintWriter(err, true, StandardCharsets.UTF_8));
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      if (ex instanceof BackupException be) {
        err.println("error: " + Redaction.redact(be.getMessage()));
        if (be.code() == ErrorCode.INTERNAL && be.getCause() != null) {
          err.println("cause: " + Redaction.redact(be.getCause().toString()));
        }
        return ExitCodes.of(be);
      }
      err.println("error: internal failure: " + Redaction.redact(ex.toString()));
      for (StackTraceElement el : ex.getStackTrace()) {
        err.println("    at " + el);
      }
      return ExitCodes.INTERNAL;
    });
    cl.setParameterExceptionHandler((ex, args2) -> {
      err.println("error: " + ex.getMessage());
      ex.getCommandLine().usage(err);
      return ExitCodes.USAGE;
    });
    cl.setExecutionStrategy(parsed -> {
      Preinit.awaitShared(); // see Preinit: the command never initialises Jackson next to the preinit thread
      return new CommandLine.RunLast().execute(parsed);
    });
    finished = new CountDownLatch(1);
    try {
      return cl.execute(args);
    } finally {
      finished.countDown(); // the command has cleaned up: a signal's shutdown hook may let the JVM halt now
      removeSignalHooks();
    }
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return ExitCodes.USAGE;
  }

  /** Prints the version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Backups.class.getPackage().getImplementationVersion();
      return new String[] {"backup4j " + (v != null ? v : "0.1.0-SNAPSHOT")};
    }
  }

  /** Options shared by commands that open a repository. */
  static class RepoOptions {
    @Option(names = "--repo", required = true, paramLabel = "<uri>",
        description = "Repository URI, e.g. file:/var/backups/repo or s3://bucket/prefix?region=eu-west-1")
    String repo;

    @Option(names = "--repo-option", paramLabel = "<k=v>", description = "Option for the repository's storage plugin.")
    Map<String, String> repoOptions = new LinkedHashMap<>();

    @Option(names = "--json", description = "Print machine-readable JSON on stdout.")
    boolean json;

    @Option(names = "--no-progress", description = "Do not draw a progress bar.")
    boolean noProgress;

    @Option(names = "--secret-env", paramLabel = "<secret=ENV_VAR>",
        description = "Hand a plugin the secret it asks for by name, read from an environment variable, e.g."
            + " redis.password=REDIS_PASSWORD or s3.sseCustomerKey=SSE_KEY. The command line names the variable,"
            + " never the secret.")
    Map<String, String> secretEnv = new LinkedHashMap<>();

    Backups open(PrintStream err) {
      Backups.Builder b = Backups.builder().repository(repo)
          .listener(new ProgressPrinter(err, !noProgress && onTerminal()));
      repoOptions.forEach(b::repositoryOption);
      secretEnv.forEach((name, variable) -> {
        String value = System.getenv(variable);
        if (value == null || value.isEmpty()) {
          throw new ConfigurationException("--secret-env " + name + "=" + variable + ": the environment variable "
              + variable + " is not set; export it (e.g. from a file readable only by you) before running backup4j");
        }
        b.secret(name, Secret.of(value));
      });
      return b.build();
    }
  }

  static Map<String, String> parseKv(String text, String what) {
    Map<String, String> m = new LinkedHashMap<>();
    if (text.isEmpty()) {
      return m;
    }
    for (String item : text.split(",")) {
      int eq = item.indexOf('=');
      if (eq <= 0) {
        throw new ConfigurationException("malformed " + what + " parameter '" + Redaction.redact(item)
            + "': write name=value pairs separated by commas");
      }
      m.put(item.substring(0, eq).trim(), item.substring(eq + 1).trim());
    }
    return m;
  }

  /** Parses sizes like {@code 1048576}, {@code 512KiB}, {@code 50MiB}, {@code 1GiB}, {@code 10MB}. */
  static long parseSize(String text, String what) {
    var m = java.util.regex.Pattern.compile("(\\d+)\\s*([KMGT]?)(i?B)?", java.util.regex.Pattern.CASE_INSENSITIVE)
        .matcher(text.trim().replaceAll("/s$", ""));
    if (!m.matches()) {
      throw new ConfigurationException(what + " needs a size such as 50MiB or 1048576, was '" + text + "'");
    }
    long n = Long.parseLong(m.group(1));
    boolean binary = m.group(3) == null || m.group(3).toLowerCase(Locale.ROOT).startsWith("i");
    long unit = binary ? 1024 : 1000;
    int exp = m.group(2).isEmpty() ? 0 : "KMGT".indexOf(m.group(2).toUpperCase(Locale.ROOT)) + 1;
    for (int i = 0; i < exp; i++) {
      n *= unit;
    }
    return n;
  }

  /** Parses {@code name[:k=v,...]}. */
  static Map.Entry<String, Map<String, String>> parseTransform(String text) {
    int colon = text.indexOf(':');
    String name = colon < 0 ? text : text.substring(0, colon);
    Map<String, String> params = colon < 0 ? Map.of() : parseKv(text.substring(colon + 1), "transform");
    return Map.entry(name.trim(), params);
  }

  static ObjectNode summary(Manifest m) {
    ObjectNode n = json().createObjectNode();
    n.put("id", m.id().value());
    n.put("backupSet", m.backupSet());
    n.put("kind", m.sourceKind());
    n.put("source", m.sourceIdentity());
    n.put("startedAt", m.startedAt().toString());
    n.put("finishedAt", m.finishedAt().toString());
    n.put("parts", m.parts().size());
    n.put("rawBytes", m.rawSize());
    n.put("storedBytes", m.storedSize());
    n.put("transforms", String.join(",", m.transforms().stream().map(t -> t.name()).toList()));
    ObjectNode labels = n.putObject("labels");
    m.labels().forEach(labels::put);
    return n;
  }

  /**
   * Whether stdin and stdout are a terminal, so a redrawn progress bar is welcome. On JDK 22 and later
   * {@code System.console()} exists even when output is redirected, so {@code Console.isTerminal()} decides there.
   */
  static boolean onTerminal() {
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true; // JDK 17 to 21: a console exists only on a terminal
    }
  }

  static void printJson(PrintStream out, Object node) {
    try {
      out.println(json().writeValueAsString(node));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A cancellation triggered by SIGINT/SIGTERM. The JVM halts as soon as its shutdown hooks return, so the hook does
   * not merely cancel: it waits (at most {@link #CLEANUP_GRACE_SECONDS}) until the command has finished, so that the
   * engine can discard the part in flight, its in-flight marker and the set's lock, and a restore its staging
   * directory. Without the wait, each signal left those behind.
   */
  static Cancellation cancelOnSignal() {
    Cancellation c = new Cancellation();
    CountDownLatch done = finished;
    PrintStream errStream = err;
    Thread hook = new Thread(() -> {
      errStream.println("interrupted: cancelling and cleaning up (at most " + CLEANUP_GRACE_SECONDS + " s)");
      errStream.flush();
      c.cancel();
      try {
        done.await(CLEANUP_GRACE_SECONDS, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "backup4j-cancel");
    Runtime.getRuntime().addShutdownHook(hook);
    synchronized (SIGNAL_HOOKS) {
      SIGNAL_HOOKS.add(hook);
    }
    return c;
  }

  /** Unregisters the hooks of a finished command, so repeated {@link #run} calls do not pile them up. */
  private static void removeSignalHooks() {
    synchronized (SIGNAL_HOOKS) {
      for (Thread hook : SIGNAL_HOOKS) {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
          // the JVM is shutting down and the hook is running: it returns now that the latch is released
        }
      }
      SIGNAL_HOOKS.clear();
    }
  }

  @Command(name = "backup", description = "Take a backup of a source into a repository.")
  static final class BackupCmd extends RepoOptions implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--source", required = true, paramLabel = "<uri>",
        description = "What to back up: files:/srv/media, postgres://user@host/db, redis://host:6379")
    String source;

    @Option(names = {"-o", "--source-option"}, paramLabel = "<k=v>", description = "Option for the source plugin, e.g. exclude=*.tmp")
    Map<String, String> sourceOptions = new LinkedHashMap<>();

    @Option(names = "--transform", paramLabel = "<name[:k=v,...]>",
        description = "Transform applied to every part, in order, e.g. zstd:level=3 then aes-gcm:keyFile=/etc/backup4j/key")
    List<String> transforms = new ArrayList<>();

    @Option(names = "--label", paramLabel = "<k=v>", description = "Label recorded in the manifest.")
    Map<String, String> labels = new LinkedHashMap<>();

    @Option(names = "--set", paramLabel = "<name>", description = "Backup set name (default: derived from the source).")
    @Nullable String set;

    @Option(names = "--keep", paramLabel = "<rules>",
        description = "Retention applied after the backup committed, e.g. last=7,daily=14,weekly=8")
    @Nullable String keep;

    @Option(names = "--verify", description = "Read the new backup back and verify it before reporting success.")
    boolean verify;

    @Option(names = "--max-read-rate", paramLabel = "<size/s>",
        description = "Read the source at most this fast, e.g. 50MiB (spares a busy database).")
    @Nullable String maxReadRate;

    @Option(names = "--max-write-rate", paramLabel = "<size/s>",
        description = "Write to the repository at most this fast, e.g. 20MiB (spares the network).")
    @Nullable String maxWriteRate;

    @Override
    public Integer call() {
      BackupJob.Builder job = BackupJob.builder().source(source).cancellation(cancelOnSignal()).verifyAfterBackup(verify);
      sourceOptions.forEach(job::sourceOption);
      for (String t : transforms) {
        var e = parseTransform(t);
        job.transform(e.getKey(), e.getValue());
      }
      labels.forEach(job::label);
      if (set != null) {
        job.backupSet(set);
      }
      if (keep != null) {
        job.retention(KeepPolicy.parse(keep));
      }
      if (maxReadRate != null) {
        job.sourceBytesPerSecond(parseSize(maxReadRate, "--max-read-rate"));
      }
      if (maxWriteRate != null) {
        job.sinkBytesPerSecond(parseSize(maxWriteRate, "--max-write-rate"));
      }
      try (Backups backups = open(err)) {
        Manifest m = backups.backup(job.build());
        if (json) {
          printJson(out, summary(m));
        } else {
          out.printf(Locale.ROOT, "backup %s committed: %d part(s), %s read, %s stored (set %s)%n", m.id(), m.parts().size(),
              ProgressPrinter.human(m.rawSize()), ProgressPrinter.human(m.storedSize()), m.backupSet());
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "list", description = "List the backups in a repository, oldest first.")
  static final class ListCmd extends RepoOptions implements Callable<Integer> {
    @Option(names = "--set", paramLabel = "<name>", description = "Only backups of this set.")
    @Nullable String set;

    @Option(names = "--manifests", description = "With --json: print full manifests.")
    boolean full;

    @Override
    public Integer call() throws Exception {
      try (Backups backups = open(err)) {
        List<Manifest> all = set == null ? backups.list() : backups.list(set);
        if (json) {
          ArrayNode arr = json().createArrayNode();
          for (Manifest m : all) {
            arr.add(full ? json().readTree(ManifestJson.write(m)) : summary(m));
          }
          printJson(out, arr);
        } else if (all.isEmpty()) {
          out.println("no backups");
        } else {
          out.printf(Locale.ROOT, "%-26s %-22s %-8s %10s %10s  %s%n", "ID", "SET", "KIND", "RAW", "STORED", "SOURCE");
          for (Manifest m : all) {
            out.printf(Locale.ROOT, "%-26s %-22s %-8s %10s %10s  %s%n", m.id(), m.backupSet(), m.sourceKind(),
                ProgressPrinter.human(m.rawSize()), ProgressPrinter.human(m.storedSize()), m.sourceIdentity());
          }
        }
      }
      return ExitCodes.OK;
    }
  }

  /** Options for commands that decode backups. */
  static class DecodeOptions extends RepoOptions {
    @Option(names = "--set", paramLabel = "<name>",
        description = "The backup set that 'latest' means (needed when the repository holds several sets).")
    @Nullable String set;

    /**
     * Resolves a backup id or {@code latest}. In a repository shared by several backup sets, the newest backup of
     * the repository may belong to another set than the one the user means (the docs tree restored over the media
     * tree), so there {@code latest} needs {@code --set}.
     */
    Manifest resolve(Backups backups, String idOrLatest) {
      if (!"latest".equals(idOrLatest)) {
        Manifest m = backups.resolve(idOrLatest);
        if (set != null && !set.equals(m.backupSet())) {
          throw new ConfigurationException("backup " + m.id() + " belongs to set " + m.backupSet() + ", not to --set "
              + set + "; give the id of a backup of " + set + " or drop --set");
        }
        return m;
      }
      List<Manifest> all = backups.list();
      if (set == null) {
        java.util.SortedSet<String> sets = new java.util.TreeSet<>();
        all.forEach(m -> sets.add(m.backupSet()));
        if (sets.size() > 1) {
          throw new ConfigurationException("'latest' is ambiguous: the repository holds backups of " + sets.size()
              + " sets (" + String.join(", ", sets) + "); choose one with --set NAME, or give a backup id"
              + " (`backup4j list` shows them)");
        }
        return all.isEmpty() ? backups.resolve("latest") : all.get(all.size() - 1);
      }
      List<Manifest> ofSet = all.stream().filter(m -> m.backupSet().equals(set)).toList();
      if (ofSet.isEmpty()) {
        throw new io.backup4j.api.NotFoundException("there is no backup of set " + set + " in the repository;"
            + " `backup4j list` shows the sets it holds");
      }
      return ofSet.get(ofSet.size() - 1);
    }

    @Option(names = "--transform-option", paramLabel = "<name:k=v,...>",
        description = "Parameter for a recorded transform at read time, e.g. aes-gcm:keyFile=/etc/backup4j/key")
    List<String> transformOptions = new ArrayList<>();

    Map<String, Map<String, String>> transformOptionMap() {
      Map<String, Map<String, String>> m = new TreeMap<>();
      for (String t : transformOptions) {
        var e = parseTransform(t);
        m.computeIfAbsent(e.getKey(), k -> new TreeMap<>()).putAll(e.getValue());
      }
      return m;
    }
  }

  @Command(name = "verify", description = "Read every part of a backup back and check its checksums, without restoring.")
  static final class VerifyCmd extends DecodeOptions implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "<backup-id|latest>")
    String id;

    @Override
    public Integer call() {
      try (Backups backups = open(err)) {
        Manifest m = resolve(backups, id);
        Backups.VerifyReport r = backups.verify(m.id(), transformOptionMap());
        if (json) {
          ObjectNode n = summary(m);
          n.put("verified", true);
          printJson(out, n);
        } else {
          out.printf(Locale.ROOT, "backup %s verified: %d part(s), %s stored, %s decoded, all checksums match%n",
              m.id(), r.parts(), ProgressPrinter.human(r.storedBytes()), ProgressPrinter.human(r.rawBytes()));
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "restore", description = "Restore a backup into a target (a directory, a database, a server).")
  static final class RestoreCmd extends DecodeOptions implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "<backup-id|latest>")
    String id;

    @Option(names = "--target", paramLabel = "<uri-or-directory>", description = "Where to restore.")
    @Nullable String target;

    @Option(names = "--target-dir", paramLabel = "<directory>",
        description = "Restore as files into this directory (e.g. dump.rdb for Redis).")
    @Nullable String targetDir;

    @Option(names = {"-o", "--option"}, paramLabel = "<k=v>", description = "Option for the restore target.")
    Map<String, String> options = new LinkedHashMap<>();

    @Option(names = "--overwrite", description = "Allow restoring over existing data.")
    boolean overwrite;

    @Option(names = "--verify-first", description = "Verify the whole backup before writing anything.")
    boolean verifyFirst;

    @Option(names = "--create", description = "PostgreSQL: create the target database.")
    boolean create;

    @Option(names = "--clean", description = "PostgreSQL: replace the objects of a non-empty target database.")
    boolean clean;

    @Option(names = "--tables", paramLabel = "<schema.table,...>", description = "PostgreSQL: restore only these tables.")
    @Nullable String tables;

    @Option(names = "--schema-only", description = "PostgreSQL: restore the schema, no data.")
    boolean schemaOnly;

    @Option(names = "--data-only", description = "PostgreSQL: restore the data, no schema.")
    boolean dataOnly;

    @Option(names = "--jobs", paramLabel = "<n>", description = "PostgreSQL: connections; into a new database the rows of one table load in parallel too.")
    @Nullable Integer jobs;

    @Override
    public Integer call() {
      if ((target == null) == (targetDir == null)) {
        throw new ConfigurationException("give exactly one of --target <uri-or-directory> or --target-dir <directory>");
      }
      String where = target != null ? target : targetDir;
      try (Backups backups = open(err)) {
        Manifest m;
        if (target != null && !verifyFirst) {
          // the target opens (a database connects and authenticates) while the backup is looked up
          try (PreparedRestore prepared = backups.prepareRestore(job(target, false))) {
            m = resolve(backups, id);
            prepared.restore(m.id());
          }
        } else {
          m = resolve(backups, id);
          backups.restore(m.id(), job(where, targetDir != null && !"files".equals(m.sourceKind())));
        }
        if (json) {
          ObjectNode n = summary(m);
          n.put("restoredTo", Redaction.redact(where));
          printJson(out, n);
        } else {
          out.printf(Locale.ROOT, "backup %s restored to %s (%s)%n", m.id(), Redaction.redact(where),
              ProgressPrinter.human(m.rawSize()));
        }
      }
      return ExitCodes.OK;
    }

    /** The restore job the options describe; {@code asDirectory}: write the backup's files (e.g. dump.rdb). */
    private RestoreJob job(String where, boolean asDirectory) {
      RestoreJob.Builder job = RestoreJob.builder(where).verifyFirst(verifyFirst).cancellation(cancelOnSignal());
      options.forEach(job::option);
      if (asDirectory) {
        job.option("targetDir", "true"); // e.g. Redis: write dump.rdb instead of restoring into a server
      }
      if (overwrite) {
        job.option("overwrite", "true");
      }
      if (create) {
        job.option("create", "true");
      }
      if (clean) {
        job.option("clean", "true");
      }
      if (tables != null) {
        job.option("tables", tables);
      }
      if (schemaOnly) {
        job.option("schemaOnly", "true");
      }
      if (dataOnly) {
        job.option("dataOnly", "true");
      }
      if (jobs != null) {
        job.option("jobs", Integer.toString(jobs));
      }
      transformOptionMap().forEach((t, kv) -> kv.forEach((k, v) -> job.transformOption(t, k, v)));
      return job.build();
    }
  }

  @Command(name = "delete", description = "Delete a backup (its manifest first, then its parts).")
  static final class DeleteCmd extends RepoOptions implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "<backup-id>")
    String id;

    @Override
    public Integer call() {
      try (Backups backups = open(err)) {
        backups.delete(BackupId.of(id));
        if (json) {
          ObjectNode n = json().createObjectNode();
          n.put("deleted", id);
          printJson(out, n);
        } else {
          out.println("backup " + id + " deleted");
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "prune", description = "Apply a retention policy to a backup set.")
  static final class PruneCmd extends RepoOptions implements Callable<Integer> {
    @Option(names = "--set", required = true, paramLabel = "<name>")
    String set;

    @Option(names = "--keep", required = true, paramLabel = "<rules>", description = "e.g. last=7,daily=14,weekly=8,monthly=12")
    String keep;

    @Override
    public Integer call() {
      try (Backups backups = open(err)) {
        List<BackupId> deleted = backups.applyRetention(set, KeepPolicy.parse(keep));
        if (json) {
          ArrayNode a = json().createArrayNode();
          deleted.forEach(d -> a.add(d.value()));
          printJson(out, a);
        } else {
          out.println(deleted.isEmpty() ? "nothing expired" : "deleted " + deleted);
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "cleanup",
      description = "Reclaim space held by interrupted writes (incomplete S3 multipart uploads, stale temporary files).")
  static final class CleanupCmd extends RepoOptions implements Callable<Integer> {
    @Option(names = "--older-than", paramLabel = "<duration>", defaultValue = "24h",
        description = "Only leftovers older than this, e.g. 24h, 2d (default 24h).")
    String olderThan;

    @Override
    public Integer call() {
      var m = java.util.regex.Pattern.compile("(\\d+)([mhd])").matcher(olderThan.trim());
      if (!m.matches()) {
        throw new ConfigurationException("--older-than needs a duration such as 90m, 24h or 2d, was '" + olderThan + "'");
      }
      long n = Long.parseLong(m.group(1));
      java.time.Duration d = switch (m.group(2)) {
        case "m" -> java.time.Duration.ofMinutes(n);
        case "h" -> java.time.Duration.ofHours(n);
        default -> java.time.Duration.ofDays(n);
      };
      try (Backups backups = open(err)) {
        int removed = backups.cleanupIncompleteWrites(d);
        if (json) {
          ObjectNode result = json().createObjectNode();
          result.put("removed", removed);
          result.put("olderThan", olderThan);
          printJson(out, result);
        } else {
          out.println("removed " + removed + " leftover(s) of interrupted writes older than " + olderThan);
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "unlock", description = "Break the lock of a backup set left by a dead process.")
  static final class UnlockCmd extends RepoOptions implements Callable<Integer> {
    @Option(names = "--set", required = true, paramLabel = "<name>")
    String set;

    @Override
    public Integer call() {
      try (Backups backups = open(err)) {
        var holder = backups.breakLock(set);
        if (json) {
          ObjectNode n = json().createObjectNode();
          n.put("set", set);
          n.put("wasLocked", holder.isPresent());
          holder.ifPresent(h -> n.put("holder", h));
          printJson(out, n);
        } else {
          out.println(holder.map(h -> "removed the lock of " + set + " held by " + h).orElse("backup set " + set + " was not locked"));
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "plugins", description = "List the installed sources, storages, transforms and retention policies.")
  static final class PluginsCmd implements Callable<Integer> {
    @Override
    public Integer call() {
      Providers p = Providers.load();
      out.println("sources:    " + String.join(", ", p.sourceNames()));
      out.println("storages:   " + String.join(", ", p.sinkNames()));
      out.println("transforms: " + String.join(", ", p.transformNames()));
      out.println("retention:  " + String.join(", ", p.retentionNames()));
      p.problems().forEach(pr -> out.println("problem:    " + pr));
      return ExitCodes.OK;
    }
  }

  @Command(name = "key", description = "Create and inspect key files of the aes-gcm transform.",
      subcommands = {KeyCmd.Generate.class, KeyCmd.Id.class})
  static final class KeyCmd implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      throw new CommandLine.ParameterException(spec.commandLine(), "name what to do: key generate <file> or key id <file>");
    }

    @Command(name = "generate", description = {
        "Write a fresh random 256-bit key (64 hex digits) into a new file readable by its owner only, and print its",
        "key id. Never overwrites a file. Keep a copy of the key away from the backups: a lost key loses every backup",
        "made with it. Use it with --transform aes-gcm:keyFile=<file>."})
    static final class Generate implements Callable<Integer> {
      @Parameters(paramLabel = "<file>", description = "The key file to create; it must not exist.")
      Path file;
      @Option(names = "--json", description = "Print {\"file\", \"keyId\"} as JSON.")
      boolean json;

      @Override
      public Integer call() {
        String id = AesGcmKeys.generateKeyFile(file);
        if (json) {
          ObjectNode n = json().createObjectNode();
          n.put("file", file.toString());
          n.put("keyId", id);
          printJson(out, n);
        } else {
          out.println("wrote a new 256-bit key to " + file + " (key id " + id + "); keep a copy of it away from the "
              + "backups: without it they cannot be restored");
        }
        return ExitCodes.OK;
      }
    }

    @Command(name = "id", description = "Print the key id of a key file, as backups made with it record it.")
    static final class Id implements Callable<Integer> {
      @Parameters(paramLabel = "<file>", description = "The key file.")
      Path file;
      @Option(names = "--allow-insecure-key-file", description = "Accept a key file that others may read.")
      boolean allowInsecure;
      @Option(names = "--json", description = "Print {\"file\", \"keyId\"} as JSON.")
      boolean json;

      @Override
      public Integer call() {
        String id = AesGcmKeys.keyId(file, allowInsecure);
        if (json) {
          ObjectNode n = json().createObjectNode();
          n.put("file", file.toString());
          n.put("keyId", id);
          printJson(out, n);
        } else {
          out.println(id);
        }
        return ExitCodes.OK;
      }
    }
  }
}
