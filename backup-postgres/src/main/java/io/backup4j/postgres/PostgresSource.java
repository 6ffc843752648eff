package io.backup4j.postgres;

import io.backup4j.api.BackupSession;
import io.backup4j.api.BackupSource;
import io.backup4j.api.CancelledException;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.PartWriter;
import io.backup4j.api.Secret;
import io.backup4j.api.SourceException;
import io.backup4j.api.spi.ProviderContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * A PostgreSQL database backed up with {@code pg_dump}: a logical, consistent (single snapshot) dump.
 *
 * <p>Formats ({@code format} option):
 * <ul>
 *   <li>{@code custom} (default): pg_dump's stdout is streamed straight into one part, {@code dump.pgc}; no temporary
 *       file. pg_dump's own compression is off ({@code compress=0}) because the backup's transforms compress better and
 *       faster.
 *   <li>{@code directory}: {@code pg_dump -Fd --jobs N} into a private temporary directory; each table's file becomes a
 *       part {@code dir/<file>} as soon as pg_dump reports it finished, and is then deleted, so the disk holds at most
 *       the tables in flight. pg_dump reports finished tables only in parallel mode ({@code jobs >= 2}); with one job
 *       the files are uploaded after it exited.
 *   <li>{@code plain}: SQL text streamed into {@code dump.sql}, restored with psql.
 * </ul>
 *
 * <p>Before pg_dump starts, the source connects with JDBC to read the server version and chooses a pg_dump of at
 * least that major version; a too-old pg_dump fails the backup before anything is written, naming both versions. The
 * password reaches pg_dump only through a private 0600 {@code PGPASSFILE}. pg_dump's stderr is drained on its own
 * thread (its {@code --verbose} lines drive progress in tables), and its exit code is checked: a dump that failed,
 * was killed or ended early throws {@link SourceException} with pg_dump's redacted messages, and the part is never
 * committed.
 *
 * <p>Recorded in the manifest's source metadata: {@code postgres.serverVersion}, {@code postgres.pgDumpVersion},
 * {@code postgres.database}, {@code postgres.databaseSize}, {@code postgres.format}, {@code postgres.options},
 * {@code postgres.rowEstimates} (pg_class.reltuples) and, with {@code countRows=true}, {@code postgres.rowCounts}:
 * exact counts taken in the very snapshot pg_dump dumps (exported with {@code pg_export_snapshot()}), which a restore
 * can check with {@code verifyRowCounts=true}.
 */
public final class PostgresSource implements BackupSource {
  /** Source option names. */
  static final Set<String> OPTIONS = Set.of("format", "jobs", "compress", "schemaOnly", "dataOnly", "schemas",
      "excludeSchemas", "tables", "excludeTables", "excludeTableData", "noOwner", "noPrivileges", "pgDumpArgs",
      "binDir", "password", "passwordFile", "countRows");

  static final String PART_CUSTOM = "dump.pgc";
  static final String PART_PLAIN = "dump.sql";
  static final String DIR_PREFIX = "dir/";
  private static final byte[] CUSTOM_MAGIC = {'P', 'G', 'D', 'M', 'P'};
  private static final Pattern DUMPING_TABLE = Pattern.compile("dumping contents of table \"(.*)\"");
  private static final Pattern FINISHED_ITEM = Pattern.compile("finished item (\\d+) TABLE DATA");

  private final ConnectionSpec spec;
  private final @Nullable DataSource dataSource;
  private final Options options;
  private final String format;
  private final int jobs;

  private PostgresSource(ConnectionSpec spec, @Nullable DataSource dataSource, Options options) {
    this.spec = spec;
    this.dataSource = dataSource;
    this.options = options;
    this.format = options.string("format") == null ? "custom" : options.string("format");
    if (!Set.of("custom", "directory", "plain").contains(format)) {
      throw new ConfigurationException("postgres option format=" + format + " is not supported; use custom"
          + " (default), directory or plain");
    }
    this.jobs = options.integer("jobs", 1, 1, 64);
    if (jobs > 1 && !format.equals("directory")) {
      throw new ConfigurationException("postgres option jobs=" + jobs + " needs format=directory (pg_dump can"
          + " only dump in parallel into a directory)");
    }
    if (options.bool("schemaOnly", false) && options.bool("dataOnly", false)) {
      throw new ConfigurationException("postgres options schemaOnly and dataOnly exclude each other");
    }
    options.integer("compress", 0, 0, 9);
    for (String b : List.of("schemaOnly", "dataOnly", "noOwner", "noPrivileges", "countRows")) {
      options.bool(b, false); // fail now, not after connecting
    }
    if (options.bool("countRows", false)) {
      // the counts cover every table of the database: with a filter, verifyRowCounts at restore time would compare
      // tables whose rows the dump does not hold and fail a good restore
      for (String filter : List.of("schemas", "excludeSchemas", "tables", "excludeTables", "excludeTableData")) {
        if (!options.list(filter).isEmpty()) {
          throw new ConfigurationException("postgres option countRows counts every table, so it cannot be combined"
              + " with " + filter + " (the restore's row-count check would compare tables the dump leaves out);"
              + " drop countRows, or check the restore with assert=<SQL> instead");
        }
      }
      if (options.bool("schemaOnly", false)) {
        throw new ConfigurationException("postgres option countRows needs data: it cannot be combined with"
            + " schemaOnly");
      }
    }
    ExtraArgs.validate(options.list("pgDumpArgs"));
    if (format.equals("plain") && options.list("pgDumpArgs").contains("--create")) {
      // a plain script made with --create runs "\connect <source database>" (after "DROP DATABASE" with --clean):
      // psql would leave the restore target and write into, or drop, the database of that name
      throw new ConfigurationException("pgDumpArgs --create is not allowed with format=plain: the SQL script would"
          + " connect to the source's database name itself (and with --clean drop it), so a restore would write"
          + " outside its target; create the target at restore time with the restore option create=true");
    }
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String kind() {
    return PostgresSourceProvider.NAME;
  }

  @Override
  public String identity() {
    return spec.redacted();
  }

  @Override
  public void backup(BackupSession session) throws IOException {
    session.cancellation().throwIfCancelled();
    boolean countRows = options.bool("countRows", false);
    Path binDir = options.path("binDir");
    PgTool.prefetch("pg_dump", binDir); // the candidates answer while we connect
    if (countRows || format.equals("directory")) {
      backupInOrder(session, binDir, countRows);
      return;
    }
    // The server's version, read over JDBC, chooses the pg_dump. Connecting and authenticating take a fresh JVM
    // about 0.2 s, so when the choice cannot depend on the version (every candidate has the same major), pg_dump
    // starts at once and the version is checked while it runs: a server newer than that pg_dump fails the backup
    // with the same error, before the part is committed, and pg_dump itself aborts on such a server right after
    // connecting, before it dumps anything. A failed connection's error wins over pg_dump's.
    CompletableFuture<Server> server = CompletableFuture.supplyAsync(() -> readServer(Jdbc.connect(spec, dataSource)),
        PostgresSource::daemon);
    AtomicInteger tables = new AtomicInteger(); // for the progress total; 0 until the estimates are read
    // the facts stage closes the connection whatever happens to the dump
    CompletableFuture<Facts> facts = server.thenApplyAsync(srv -> factsThenClose(srv.connection(), tables),
        PostgresSource::daemon);
    PgTool pgDump = PgTool.choiceWithoutVersion("pg_dump", binDir).orElse(null);
    Runnable checkServer;
    if (pgDump == null) {
      pgDump = choosePgDump(join(server), binDir);
      checkServer = () -> {};
    } else {
      // the same choice, or the error naming both versions when the server is newer than every pg_dump
      checkServer = () -> choosePgDump(join(server), binDir);
    }
    List<String> args = dumpArguments(null);
    dump(session, pgDump, args, tables, checkServer);
    putAll(session, join(server).meta());
    putToolMetadata(session, pgDump, args);
    putAll(session, join(facts).meta());
  }

  /**
   * The path taken when pg_dump must follow the connection: exact row counts come from a snapshot exported before
   * pg_dump starts, and a directory-format dump commits parts while it runs, so its pg_dump is checked first.
   */
  private void backupInOrder(BackupSession session, @Nullable Path binDir, boolean countRows) throws IOException {
    Connection c = Jdbc.connect(spec, dataSource);
    CompletableFuture<Facts> later = null;
    try {
      Server srv = readServer(c);
      PgTool pgDump = choosePgDump(srv, binDir);
      String snapshot = null;
      List<String> estimated = List.of();
      AtomicInteger tables = new AtomicInteger(); // for the progress total; 0 until the estimates are read
      Map<String, String> meta = new LinkedHashMap<>(srv.meta());
      if (countRows) {
        // exact counts come from the snapshot pg_dump will use, so everything is read before pg_dump starts
        Facts facts = readFacts(c);
        meta.putAll(facts.meta());
        estimated = facts.tables();
        tables.set(facts.tables().size());
        try (Statement st = c.createStatement()) {
          // the exporting transaction must outlive pg_dump's snapshot import, whatever the server's defaults
          st.execute("SET idle_in_transaction_session_timeout = 0");
          st.execute("SET statement_timeout = 0");
          c.setAutoCommit(false);
          c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
          c.setReadOnly(true);
          snapshot = Jdbc.queryString(c, "SELECT pg_export_snapshot()");
        } catch (SQLException e) {
          throw Jdbc.translate(e, "cannot export a snapshot from " + spec.redacted());
        }
      } else {
        // the database size, the row estimates and the table dependencies only go into the manifest: they are read
        // while pg_dump runs; a failure fails the backup all the same
        later = CompletableFuture.supplyAsync(() -> factsThenClose(c, tables), PostgresSource::daemon);
      }

      List<String> args = dumpArguments(snapshot);
      putAll(session, meta);
      putToolMetadata(session, pgDump, args);
      if (countRows) {
        Map<String, Long> counts = countRows(c, estimated, session);
        session.putMetadata("postgres.rowCounts", Jdbc.encodeCounts(counts));
      }
      dump(session, pgDump, args, tables, () -> {});
      if (later != null) {
        putAll(session, join(later).meta());
      }
    } finally {
      if (later == null) {
        closeQuietly(c); // with countRows the snapshot transaction only had to outlive pg_dump's start
      }
    }
  }

  /** The server's version, database and encoding, read over a connection that stays open for the facts. */
  private record Server(Connection connection, Map<String, String> meta, int versionNum) {}

  private Server readServer(Connection c) {
    Map<String, String> meta = new LinkedHashMap<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_setting('server_version'),"
        + " current_setting('server_version_num')::int, current_database(), current_setting('server_encoding')")) {
      rs.next();
      meta.put("postgres.serverVersion", rs.getString(1));
      int versionNum = rs.getInt(2);
      meta.put("postgres.serverVersionNum", Integer.toString(versionNum));
      meta.put("postgres.database", rs.getString(3));
      meta.put("postgres.encoding", rs.getString(4));
      return new Server(c, meta, versionNum);
    } catch (SQLException e) {
      closeQuietly(c);
      throw Jdbc.translate(e, "cannot read server facts from " + spec.redacted());
    } catch (RuntimeException | Error e) {
      closeQuietly(c);
      throw e;
    }
  }

  private PgTool choosePgDump(Server srv, @Nullable Path binDir) {
    return PgTool.find("pg_dump", PgTool.majorOf(srv.versionNum()), "the server (PostgreSQL "
        + srv.meta().get("postgres.serverVersion") + " at " + spec.redacted() + ")", binDir);
  }

  /**
   * Runs pg_dump in this source's format, its password (if any) in a 0600 passfile of the session's temporary
   * directory; {@code checkServer} as for {@link #dumpStream}.
   */
  private void dump(BackupSession session, PgTool pgDump, List<String> args, AtomicInteger tables,
      Runnable checkServer) throws IOException {
    Secret password = spec.password();
    Path tmp = session.temporaryDirectory();
    try (PasswordFile pass = password == null ? null : PasswordFile.create(tmp, password)) {
      Map<String, String> env = new LinkedHashMap<>(spec.libpqEnvironment());
      if (pass != null) {
        env.put("PGPASSFILE", pass.path().toString());
      }
      if (format.equals("directory")) {
        dumpDirectory(session, pgDump, args, env, password, tmp, tables);
      } else {
        dumpStream(session, pgDump, args, env, password, tables, checkServer);
      }
    }
  }

  /** The facts, with the progress total set from them; the connection is closed either way. */
  private Facts factsThenClose(Connection c, AtomicInteger tables) {
    try {
      Facts f = readFacts(c);
      tables.set(f.tables().size());
      return f;
    } finally {
      closeQuietly(c); // not held while pg_dump runs
    }
  }

  private static void putAll(BackupSession session, Map<String, String> meta) {
    for (Map.Entry<String, String> e : meta.entrySet()) {
      session.putMetadata(e.getKey(), e.getValue());
    }
  }

  private void putToolMetadata(BackupSession session, PgTool pgDump, List<String> args) {
    session.putMetadata("postgres.pgDumpVersion", pgDump.version());
    session.putMetadata("postgres.pgDumpMajor", Integer.toString(pgDump.major()));
    session.putMetadata("postgres.format", format);
    session.putMetadata("postgres.options", String.join(" ", args));
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // the dump's outcome is what matters
    }
  }

  /** What the manifest records about the database apart from its version: size, row estimates, dependencies. */
  private record Facts(Map<String, String> meta, List<String> tables) {}

  private Facts readFacts(Connection c) {
    Map<String, String> meta = new LinkedHashMap<>();
    Map<String, Long> estimates = new LinkedHashMap<>();
    try {
      meta.put("postgres.databaseSize", Jdbc.queryString(c, "SELECT pg_database_size(current_database())"));
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
          SELECT n.nspname, c.relname, greatest(c.reltuples, 0)::bigint FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
          ORDER BY 1, 2""")) {
        while (rs.next()) {
          estimates.put(Jdbc.key(rs.getString(1), rs.getString(2)), rs.getLong(3));
        }
      }
      meta.put("postgres.dependents", TableDependents.query(c));
    } catch (SQLException e) {
      throw Jdbc.translate(e, "cannot read server facts from " + spec.redacted());
    }
    meta.put("postgres.rowEstimates", Jdbc.encodeCounts(estimates));
    return new Facts(meta, List.copyOf(estimates.keySet()));
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  private static void daemon(Runnable r) {
    Thread t = new Thread(r, "backup4j-pg-facts");
    t.setDaemon(true);
    t.start();
  }

  private Map<String, Long> countRows(Connection c, List<String> tables, BackupSession session) {
    Map<String, Long> counts = new LinkedHashMap<>();
    int done = 0;
    try (Statement st = c.createStatement()) {
      for (String key : tables) {
        session.cancellation().throwIfCancelled();
        int nul = key.indexOf('\u0000');
        String q = Jdbc.quoteIdent(key.substring(0, nul)) + "." + Jdbc.quoteIdent(key.substring(nul + 1));
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM ONLY " + q)) {
          rs.next();
          counts.put(key, rs.getLong(1));
        }
        session.progress("tables counted", ++done, tables.size(), Jdbc.display(key));
      }
    } catch (SQLException e) {
      throw Jdbc.translate(e, "cannot count rows in " + spec.redacted());
    }
    return counts;
  }

  /** pg_dump's arguments apart from the executable and the connection (which goes through the environment). */
  List<String> dumpArguments(@Nullable String snapshot) {
    List<String> a = new ArrayList<>();
    a.add("--format=" + format);
    a.add("--verbose");
    a.add("--no-password"); // never prompt: a missing password is an error, not a hang
    if (!format.equals("plain")) {
      a.add("--compress=" + options.integer("compress", 0, 0, 9));
    }
    if (jobs > 1) {
      a.add("--jobs=" + jobs);
    }
    if (snapshot != null) {
      a.add("--snapshot=" + snapshot);
    }
    if (options.bool("schemaOnly", false)) {
      a.add("--schema-only");
    }
    if (options.bool("dataOnly", false)) {
      a.add("--data-only");
    }
    if (!options.list("schemas").isEmpty() || !options.list("tables").isEmpty()) {
      // a misspelt include pattern must fail the backup, not silently produce one without the data
      a.add("--strict-names");
    }
    options.list("schemas").forEach(s -> a.add("--schema=" + s));
    options.list("excludeSchemas").forEach(s -> a.add("--exclude-schema=" + s));
    options.list("tables").forEach(s -> a.add("--table=" + s));
    options.list("excludeTables").forEach(s -> a.add("--exclude-table=" + s));
    options.list("excludeTableData").forEach(s -> a.add("--exclude-table-data=" + s));
    if (options.bool("noOwner", false)) {
      a.add("--no-owner");
    }
    if (options.bool("noPrivileges", false)) {
      a.add("--no-privileges");
    }
    a.addAll(ExtraArgs.validate(options.list("pgDumpArgs")));
    return a;
  }

  /**
   * Streams pg_dump's output into one part. {@code checkServer} throws when the connection to the server failed or
   * the server is too new for this pg_dump; it runs before the part is committed and, when pg_dump failed, before
   * pg_dump's error is reported, so that the clearer error wins.
   */
  private void dumpStream(BackupSession session, PgTool pgDump, List<String> args, Map<String, String> env,
      @Nullable Secret password, AtomicInteger tables, Runnable checkServer) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(pgDump.path().toString());
    cmd.addAll(args);
    AtomicInteger tablesDone = new AtomicInteger();
    String partName = format.equals("plain") ? PART_PLAIN : PART_CUSTOM;
    try (ChildProcess child = ChildProcess.start(cmd, env, null, line -> onVerbose(line, session, tablesDone, tables),
        password)) {
      session.cancellation().onCancel(child::kill);
      child.stdin().close();
      long bytes;
      try (PartWriter part = session.openPart(partName)) {
        try (InputStream in = child.stdout()) {
          bytes = copy(in, part.stream(), session, format.equals("custom") ? CUSTOM_MAGIC : null);
        } catch (IOException | RuntimeException e) {
          child.kill();
          int rc = child.waitFor();
          if (e instanceof CancelledException || session.cancellation().isCancelled()) {
            throw new CancelledException("backup of " + spec.redacted() + " cancelled; pg_dump stopped");
          }
          preferServerError(checkServer, e);
          if (e instanceof SourceException) {
            throw new SourceException(e.getMessage() + "\n" + child.describeExit(rc), e);
          }
          throw e;
        }
        int rc = child.waitFor();
        session.cancellation().throwIfCancelled();
        if (rc != 0) {
          SourceException failed = new SourceException("pg_dump of " + spec.redacted() + " failed, nothing was"
              + " committed: " + child.describeExit(rc));
          preferServerError(checkServer, failed);
          throw failed;
        }
        if (bytes == 0) {
          throw new SourceException("pg_dump of " + spec.redacted() + " produced no output: "
              + child.describeExit(rc));
        }
        checkServer.run();
        part.commit();
      }
      session.putMetadata("postgres.tablesDumped", Integer.toString(tablesDone.get()));
    }
  }

  /** Runs {@code checkServer}; its error, if any, is thrown with pg_dump's {@code failure} attached. */
  private static void preferServerError(Runnable checkServer, Exception failure) {
    try {
      checkServer.run();
    } catch (RuntimeException serverError) {
      serverError.addSuppressed(failure);
      throw serverError;
    }
  }

  private void onVerbose(String line, BackupSession session, AtomicInteger done, AtomicInteger total) {
    Matcher m = DUMPING_TABLE.matcher(line);
    if (m.find()) {
      int n = done.incrementAndGet();
      session.progress("tables", n, Math.max(total.get(), n), m.group(1));
    }
  }

  private static long copy(InputStream in, OutputStream out, BackupSession session, byte @Nullable [] magic)
      throws IOException {
    byte[] buf = new byte[128 * 1024];
    long total = 0;
    int n;
    while ((n = in.read(buf)) >= 0) {
      session.cancellation().throwIfCancelled();
      if (magic != null && total < magic.length) {
        // check the archive header as soon as its bytes arrive: anything else is not a pg_dump archive
        for (int i = 0; i < n && total + i < magic.length; i++) {
          if (buf[i] != magic[(int) total + i]) {
            throw new SourceException("pg_dump's output does not start with the custom-format header PGDMP");
          }
        }
      }
      out.write(buf, 0, n);
      total += n;
    }
    return total;
  }

  // Directory format: pg_dump writes into a private directory; in parallel mode it reports "finished item <id>
  // TABLE DATA" once a worker closed <id>.dat, which is then streamed into a part and deleted. toc.dat (written last)
  // and the remaining files follow when pg_dump exited successfully.
  private void dumpDirectory(BackupSession session, PgTool pgDump, List<String> args, Map<String, String> env,
      @Nullable Secret password, Path tmp, AtomicInteger tables) throws IOException {
    Path dir = tmp.resolve("pgdump-dir");
    List<String> cmd = new ArrayList<>();
    cmd.add(pgDump.path().toString());
    cmd.addAll(args);
    cmd.add("--file=" + dir);
    BlockingQueue<String> finished = new LinkedBlockingQueue<>();
    AtomicInteger tablesDone = new AtomicInteger();
    Set<String> uploaded = new java.util.HashSet<>();
    try (ChildProcess child = ChildProcess.start(cmd, env, null, line -> {
      onVerbose(line, session, tablesDone, tables);
      Matcher m = FINISHED_ITEM.matcher(line);
      if (m.find()) {
        finished.add(m.group(1));
      }
    }, password)) {
      session.cancellation().onCancel(child::kill);
      child.stdin().close();
      child.stdout().close();
      try {
        while (true) {
          String id = finished.poll(200, TimeUnit.MILLISECONDS);
          if (id != null) {
            uploadCompleted(session, dir, id, uploaded);
          } else if (!isAlive(child)) {
            break;
          }
          session.cancellation().throwIfCancelled();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        child.kill();
        throw new java.io.InterruptedIOException("interrupted while pg_dump was running");
      } catch (IOException | RuntimeException e) {
        child.kill();
        throw e;
      }
      int rc = child.waitFor();
      session.cancellation().throwIfCancelled();
      if (rc != 0) {
        throw new SourceException("pg_dump of " + spec.redacted() + " failed, nothing was committed: "
            + child.describeExit(rc));
      }
      for (String id; (id = finished.poll()) != null; ) {
        uploadCompleted(session, dir, id, uploaded);
      }
      if (!Files.isRegularFile(dir.resolve("toc.dat"))) {
        throw new SourceException("pg_dump exited successfully but wrote no toc.dat into " + dir);
      }
      List<Path> rest;
      try (Stream<Path> s = Files.list(dir)) {
        rest = s.sorted().toList();
      }
      // toc.dat last: a reader of a partial listing never sees a table of contents without its data files
      for (Path p : rest) {
        if (!p.getFileName().toString().equals("toc.dat")) {
          uploadFile(session, p, uploaded);
        }
      }
      uploadFile(session, dir.resolve("toc.dat"), uploaded);
      session.putMetadata("postgres.tablesDumped", Integer.toString(tablesDone.get()));
      session.putMetadata("postgres.directoryFiles", Integer.toString(uploaded.size()));
    }
  }

  private static boolean isAlive(ChildProcess child) {
    return ProcessHandle.of(child.pid()).map(ProcessHandle::isAlive).orElse(false);
  }

  private void uploadCompleted(BackupSession session, Path dir, String id, Set<String> uploaded) throws IOException {
    for (String suffix : new String[] {".dat", ".dat.gz", ".dat.lz4", ".dat.zst"}) {
      Path p = dir.resolve(id + suffix);
      if (Files.isRegularFile(p)) {
        uploadFile(session, p, uploaded);
        return;
      }
    }
  }

  private void uploadFile(BackupSession session, Path file, Set<String> uploaded) throws IOException {
    String name = file.getFileName().toString();
    if (!uploaded.add(name)) {
      return;
    }
    if (!Files.isRegularFile(file)) {
      throw new SourceException("pg_dump's directory holds something that is not a file: " + name);
    }
    try (PartWriter part = session.openPart(DIR_PREFIX + name)) {
      try (InputStream in = Files.newInputStream(file)) {
        copy(in, part.stream(), session, null);
      }
      part.commit();
    }
    Files.delete(file);
  }

  @Override
  public String toString() {
    return "PostgresSource[" + spec.redacted() + ", format=" + format + "]";
  }

  /** Builds a {@link PostgresSource} from a URI or a {@link DataSource}, for applications that embed backup4j. */
  public static final class Builder {
    private @Nullable String uri;
    private @Nullable DataSource dataSource;
    private @Nullable Supplier<char[]> password;
    private final Map<String, String> options = new LinkedHashMap<>();

    private Builder() {}

    /** The database: {@code postgres://user@host:port/db}, {@code postgresql://...} or {@code jdbc:postgresql://...}. */
    public Builder uri(String uri) {
      this.uri = Objects.requireNonNull(uri, "uri is null");
      return this;
    }

    /**
     * The database as a {@link DataSource}: used for the metadata queries; pg_dump connects to the same host, port,
     * database and user, read from a pgjdbc data source or from the connection's metadata. A password the data
     * source holds internally cannot be read from a pool: supply it with {@link #password(Supplier)}.
     */
    public Builder dataSource(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource is null");
      return this;
    }

    /** Supplies the password when the URI has none; the array is wiped after use. */
    public Builder password(Supplier<char[]> password) {
      this.password = Objects.requireNonNull(password, "password is null");
      return this;
    }

    /** A source option (format, jobs, schemaOnly, tables, ...; see the provider's description). */
    public Builder option(String name, String value) {
      options.put(Objects.requireNonNull(name, "name is null"), Objects.requireNonNull(value, "value is null"));
      return this;
    }

    /** Several source options. */
    public Builder options(Map<String, String> values) {
      values.forEach(this::option);
      return this;
    }

    /** Builds the source; connects only when the backup runs (a {@link DataSource} is asked for its URL now). */
    public PostgresSource build() {
      return create(uri, dataSource, password, options, null);
    }

    static PostgresSource create(@Nullable String uri, @Nullable DataSource dataSource,
        @Nullable Supplier<char[]> password, Map<String, String> optionValues, @Nullable ProviderContext context) {
      Options opts = new Options("postgres source", optionValues, OPTIONS, Set.of());
      ConnectionSpec spec;
      if (uri != null) {
        spec = ConnectionSpec.parse(uri);
      } else if (dataSource != null) {
        spec = DataSources.describe(dataSource);
      } else {
        throw new ConfigurationException("a postgres source needs a URI or a DataSource");
      }
      Secret pw = Credentials.resolve(spec, opts, password, context);
      return new PostgresSource(spec.withPassword(pw), dataSource, opts);
    }
  }
}
