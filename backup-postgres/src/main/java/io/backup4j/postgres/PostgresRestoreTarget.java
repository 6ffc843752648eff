package io.backup4j.postgres;

import io.backup4j.api.CancelledException;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.Manifest;
import io.backup4j.api.PartInfo;
import io.backup4j.api.RestoreSession;
import io.backup4j.api.RestoreTarget;
import io.backup4j.api.Secret;
import io.backup4j.api.SourceException;
import io.backup4j.api.spi.ProviderContext;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Restores a {@code postgres} backup into a named database with {@code pg_restore} (custom and directory formats) or
 * {@code psql} (plain format).
 *
 * <p>Safety rules: the database must exist unless {@code create=true}; a database that already holds user objects is
 * refused unless {@code clean=true} (with {@code tables=...}, only the named tables must not exist). A failed or
 * interrupted restore leaves nothing behind: a database this target created (with {@code create=true}, or the fresh
 * sibling of a {@code clean=true} restore) is dropped again, and a restore into an existing database runs in a
 * single transaction by default ({@code singleTransaction}; into a database of its own the default is off, which
 * spares the lock table and the WAL of one giant transaction for databases with many thousand tables). Into a
 * database of its own, a whole (UTF8) custom-format archive streams in sections, its data loaded by backup4j over
 * {@code jobs} connections with the rows of one table split between them ({@link ParallelDataLoad}), as binary
 * {@code COPY} where the column types allow ({@link BinaryCopy}, option {@code binaryCopy}); with {@code jobs=1}
 * and {@code binaryCopy=false}, or into an existing database, custom-format archives stream from the verified part
 * straight into pg_restore's stdin. Otherwise {@code jobs>1}
 * needs a seekable file (pg_restore cannot run parallel jobs from stdin), so the archive is then first spooled to a
 * 0600 file in the session's private temporary directory, and a warning says so. So is a selective restore
 * ({@code tables}, {@code schemas}, {@code schemaOnly}) into an existing database: pg_restore may commit it before
 * reading the end of the archive, where the part's SHA-256 is checked.
 *
 * <p>After the restore, {@code verifyRowCounts=true} compares every restored table's row count with the exact counts
 * recorded at backup time ({@code countRows=true}), and each {@code assert} / {@code assert.<name>} option is an SQL
 * query that must return {@code true}; a failed check throws {@link IntegrityException} and, like any failure, drops
 * a database the restore created.
 *
 * <p>{@code clean=true} over a non-empty database restores the whole archive into a new sibling database (same
 * encoding and collation) which replaces the target, keeping its owner, only after the restore and its checks
 * succeeded; a failure leaves the original untouched. With a selection ({@code tables}, {@code schemas}) it is
 * pg_restore's {@code --clean --if-exists} on the selected objects instead.
 */
final class PostgresRestoreTarget implements RestoreTarget {
  /** The largest table-of-contents listing a selective restore reads (hundreds of thousands of entries). */
  private static final int TOC_LIMIT = 64 << 20;
  static final Set<String> OPTIONS = Set.of("create", "clean", "tables", "schemas", "schemaOnly", "dataOnly", "jobs",
      "singleTransaction", "noOwner", "noPrivileges", "verifyRowCounts", "binDir", "password", "passwordFile",
      "maintenanceDatabase", "assert", "disableTriggers", "binaryCopy");

  private final ConnectionSpec spec;
  private final Options options;
  private final boolean create;
  private final boolean clean;
  private final List<String[]> tables;
  private final List<String> schemas;
  private final boolean schemaOnly;
  private final boolean dataOnly;
  private final int jobs;
  private final boolean binaryCopy;
  private final List<String> assertions;
  private boolean superuser;
  private boolean intoOwnDatabase;
  /** Whether the backup was taken with {@code noOwner}, which pg_dump ignores for archive formats. */
  private boolean archiveNoOwner;
  /** With {@code tables}: the recorded dependents, without the types and functions the target already has. */
  private @Nullable List<TableDependents> dependencies;
  /** The maintenance database's connection: where the restore asks its first questions and creates databases. */
  private final ConnectionSpec adminSpec;
  /**
   * The admin connection and the server's first answers, opened on a thread of its own from the constructor on:
   * connecting and authenticating (SCRAM's 4096 rounds in a fresh JVM take a tenth of a second) do not depend on
   * the backup, so they overlap what the engine does until {@link #restore} (reading the manifest, the keys).
   */
  private final CompletableFuture<AdminFacts> admin;
  private final AtomicBoolean adminTaken = new AtomicBoolean();

  PostgresRestoreTarget(String target, Map<String, String> optionValues, @Nullable Supplier<char[]> password,
      @Nullable ProviderContext context) {
    this.options = new Options("postgres restore", optionValues, OPTIONS, Set.of("assert."));
    ConnectionSpec parsed = ConnectionSpec.parse(target);
    this.spec = parsed.withPassword(Credentials.resolve(parsed, options, password, context));
    this.create = options.bool("create", false);
    this.clean = options.bool("clean", false);
    this.schemaOnly = options.bool("schemaOnly", false);
    this.dataOnly = options.bool("dataOnly", false);
    if (schemaOnly && dataOnly) {
      throw new ConfigurationException("postgres restore options schemaOnly and dataOnly exclude each other");
    }
    this.jobs = options.integer("jobs", 1, 1, 64);
    this.binaryCopy = options.bool("binaryCopy", true);
    for (String b : List.of("singleTransaction", "noOwner", "noPrivileges", "verifyRowCounts", "disableTriggers")) {
      options.bool(b, false); // fail now, not half-way through a restore
    }
    if (clean && dataOnly) {
      throw new ConfigurationException("postgres restore options clean and dataOnly exclude each other (pg_restore"
          + " cannot drop objects it does not recreate); truncate the tables first, or restore schema and data");
    }
    this.tables = new ArrayList<>();
    for (String t : options.list("tables")) {
      int dot = t.indexOf('.');
      if (dot <= 0 || dot == t.length() - 1 || t.indexOf('.', dot + 1) >= 0) {
        throw new ConfigurationException("postgres restore option tables: '" + t + "' is not schema.table"
            + " (write tables=public.users,app.orders; quote nothing)");
      }
      tables.add(new String[] {t.substring(0, dot), t.substring(dot + 1)});
    }
    this.schemas = options.list("schemas");
    this.assertions = options.withPrefix("assert");
    if (options.bool("verifyRowCounts", false) && schemaOnly) {
      throw new ConfigurationException("verifyRowCounts needs data: it cannot be combined with schemaOnly");
    }
    String maintenance = options.string("maintenanceDatabase");
    this.adminSpec = spec.withDatabase(maintenance == null ? "postgres" : maintenance);
    this.admin = onOwnThread(() -> openAdmin(adminSpec, spec));
  }

  @Override
  public String describe() {
    return spec.redacted();
  }

  @Override
  public void restore(RestoreSession session) throws IOException {
    Manifest manifest = session.manifest();
    Map<String, String> meta = manifest.sourceMetadata();
    String format = meta.getOrDefault("postgres.format", "custom");
    validateFor(format, meta);
    archiveNoOwner = recordedDumpOptions(meta).contains("--no-owner");
    int dumpMajor = Integer.parseInt(meta.getOrDefault("postgres.pgDumpMajor", "0"));
    Path binDir = options.path("binDir");

    String tool = format.equals("plain") ? "psql" : "pg_restore";
    PgTool.prefetch(tool, binDir); // the candidates answer while we connect
    // the database the restore writes into: the target itself, or, for clean=true over a non-empty database, a
    // new sibling that replaces the target only once the restore and its checks succeeded
    ConnectionSpec into = spec;
    boolean ownDatabase = false;
    boolean swap = false;
    int serverMajor;
    PgTool exe;
    AdminFacts facts = takeAdmin();
    try (Connection admin = facts.connection()) {
      serverMajor = PgTool.majorOf(facts.serverVersionNum());
      superuser = facts.superuser();
      boolean exists = facts.exists();
      // before anything is created: an archive no installed client can read fails here, leaving the server as it was
      exe = PgTool.find(tool, Math.max(dumpMajor, 1), "the archive (written by pg_dump "
          + meta.getOrDefault("postgres.pgDumpVersion", "?") + ")", binDir);
      if (!exists) {
        if (!create) {
          throw new io.backup4j.api.NotFoundException("database " + Jdbc.quoteIdent(spec.database())
              + " does not exist on " + spec.redacted() + "; create it or pass the option create=true");
        }
        createDatabase(admin, spec.database(), null);
        ownDatabase = true;
      } else if (!isEmptyOrAcceptable() && wholeDatabase()) {
        String tmp = stagingName(spec.database());
        createDatabase(admin, tmp, spec.database());
        into = spec.withDatabase(tmp);
        ownDatabase = true;
        swap = true;
        session.warn("clean=true: restoring into the new database " + tmp + ", which replaces "
            + spec.database() + " only after the restore succeeded");
      }
    } catch (SQLException e) {
      throw Jdbc.translate(e, "cannot prepare the restore into " + spec.redacted());
    }
    if (exe.major() < serverMajor) {
      // prefer a client of the server's major when one is installed; the archive's major is the hard minimum
      try {
        exe = PgTool.find(tool, serverMajor, "the target server", binDir);
      } catch (ConfigurationException none) {
        // keep the older one, with the warning below
      }
    }
    if (exe.major() < serverMajor) {
      session.warn(tool + " " + exe.version() + " is older than the target server (major " + serverMajor
          + "); it usually works, but a " + tool + " of the server's major version is recommended");
    }
    intoOwnDatabase = ownDatabase;
    if (jobs > 1 && !ownDatabase && !format.equals("plain")) {
      // pg_restore cannot run parallel jobs in one transaction: say what a failure would leave
      session.warn("jobs=" + jobs + " into the existing database " + spec.database() + " runs without a single"
          + " transaction: a failed restore leaves what was restored so far; for an all-or-nothing restore use"
          + " jobs=1, or restore into a new database (create=true) or with clean=true");
    }
    boolean success = false;
    // set by swapIn once the target is dropped: from then on the restored database is the only copy of the data
    boolean[] targetDropped = {false};
    try {
      if (!tables.isEmpty() && !dataOnly) {
        dependencies = missingFrom(into, TableDependents.parse(meta.getOrDefault("postgres.dependents", "")));
        createSchemasOf(into);
      }
      try (PasswordFile pass = into.password() == null ? null
          : PasswordFile.create(session.temporaryDirectory(), Objects.requireNonNull(into.password()))) {
        Map<String, String> env = new LinkedHashMap<>(into.libpqEnvironment());
        if (pass != null) {
          env.put("PGPASSFILE", pass.path().toString());
        }
        switch (format) {
          case "plain" -> runPsql(session, exe, env, into);
          case "directory" -> runPgRestoreDirectory(session, exe, env, manifest, into);
          default -> runPgRestoreCustom(session, exe, env, into);
        }
      }
      postChecks(session, meta, into, ownDatabase);
      if (swap) {
        swapIn(adminSpec, into.database(), serverMajor, targetDropped);
      }
      success = true;
    } finally {
      if (!success && ownDatabase && !targetDropped[0]) {
        dropDatabase(session, adminSpec, into.database(), serverMajor);
      }
    }
  }

  /** Whether the whole archive is restored (no selection), so that clean=true may replace the database. */
  private boolean wholeDatabase() {
    return tables.isEmpty() && schemas.isEmpty() && !dataOnly;
  }

  private void validateFor(String format, Map<String, String> meta) {
    if (format.equals("plain")
        && List.of(meta.getOrDefault("postgres.options", "").split(" ")).contains("--create")) {
      // such a script runs "\connect <source database>" (after "DROP DATABASE" with --clean), leaving the target
      throw new ConfigurationException("this plain-format backup was taken with pg_dump --create: its SQL script"
          + " connects to the source's database name itself (and with --clean drops it), so restoring it into "
          + spec.redacted() + " would write elsewhere; if that is what you want, extract its part dump.sql and run"
          + " it with psql by hand");
    }
    if (format.equals("plain")) {
      if (!tables.isEmpty() || !schemas.isEmpty() || schemaOnly || dataOnly || jobs > 1) {
        throw new ConfigurationException("a plain-format (SQL) backup can only be restored whole: tables,"
            + " schemas, schemaOnly, dataOnly and jobs need format=custom or directory at backup time");
      }
    }
    if (options.bool("verifyRowCounts", false) && !meta.containsKey("postgres.rowCounts")) {
      throw new ConfigurationException("verifyRowCounts=true but this backup recorded no exact row counts; take"
          + " backups with the source option countRows=true to enable the check");
    }
  }

  /** Creates a database from template0, with the encoding, collation and owner of {@code like} if given. */
  private static void createDatabase(Connection admin, String name, @Nullable String like) throws SQLException {
    // template0: a pristine database, so objects added to template1 cannot collide with the archive's
    StringBuilder sql = new StringBuilder("CREATE DATABASE " + Jdbc.quoteIdent(name) + " TEMPLATE template0");
    if (like != null) {
      try (PreparedStatement ps = admin.prepareStatement("SELECT pg_encoding_to_char(encoding), datcollate,"
          + " datctype FROM pg_database WHERE datname = ?")) {
        ps.setString(1, like);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            sql.append(" ENCODING ").append(literal(rs.getString(1)))
                .append(" LC_COLLATE ").append(literal(rs.getString(2)))
                .append(" LC_CTYPE ").append(literal(rs.getString(3)));
          }
        }
      }
    }
    try (Statement st = admin.createStatement()) {
      st.execute(sql.toString());
    }
  }

  private static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  private static String stagingName(String db) {
    String base = db;
    while (base.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 40) {
      base = base.substring(0, base.length() - 1);
    }
    return base + "_b4j_" + Long.toHexString(System.nanoTime() & 0xffffffffL);
  }

  /**
   * Replaces the target database by the freshly restored one, keeping the old owner. Sets {@code targetDropped[0]}
   * as soon as the target is gone: a failure after that point must keep {@code restored}, the only copy left.
   */
  private void swapIn(ConnectionSpec adminSpec, String restored, int serverMajor, boolean[] targetDropped) {
    boolean renamed = false;
    String owner = null;
    try (Connection admin = Jdbc.connect(adminSpec, null); Statement st = admin.createStatement()) {
      try (PreparedStatement ps = admin.prepareStatement(
          "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = ?")) {
        ps.setString(1, spec.database());
        try (ResultSet rs = ps.executeQuery()) {
          owner = rs.next() ? rs.getString(1) : null;
        }
      }
      copyPrivileges(admin, st, restored);
      copyDatabaseProperties(admin, st, restored);
      st.execute("DROP DATABASE IF EXISTS " + Jdbc.quoteIdent(spec.database())
          + (serverMajor >= 13 ? " WITH (FORCE)" : ""));
      targetDropped[0] = true;
      st.execute("ALTER DATABASE " + Jdbc.quoteIdent(restored) + " RENAME TO " + Jdbc.quoteIdent(spec.database()));
      renamed = true;
      if (owner != null) {
        st.execute("ALTER DATABASE " + Jdbc.quoteIdent(spec.database()) + " OWNER TO " + Jdbc.quoteIdent(owner));
      }
    } catch (SQLException e) {
      if (renamed) {
        throw Jdbc.translate(e, "the restore replaced " + spec.database() + ", but could not give it back to its"
            + " owner " + owner + " (run ALTER DATABASE " + Jdbc.quoteIdent(spec.database()) + " OWNER TO "
            + Jdbc.quoteIdent(String.valueOf(owner)) + " by hand)");
      }
      if (targetDropped[0]) {
        throw Jdbc.translate(e, "the restore succeeded into the database " + restored + " and the old "
            + spec.database() + " was dropped, but " + restored + " could not be renamed; the restored data is"
            + " kept in " + restored + ": rename it by hand (ALTER DATABASE " + Jdbc.quoteIdent(restored)
            + " RENAME TO " + Jdbc.quoteIdent(spec.database()) + ")");
      }
      throw Jdbc.translate(e, "the restore succeeded into the staging database " + restored + " but it could not"
          + " replace " + spec.database() + ", which is unchanged; the staging database is dropped again");
    }
  }

  /**
   * Gives the restored database the target's explicit privileges, while the target still exists. A new database
   * starts with the defaults (CONNECT and TEMPORARY for PUBLIC), so without this a hardening such as
   * {@code REVOKE CONNECT ON DATABASE ... FROM PUBLIC} would silently be undone by a clean restore. Entries granted
   * by the restoring user pass to the owner with the later {@code ALTER DATABASE ... OWNER TO}.
   */
  private void copyPrivileges(Connection admin, Statement st, String restored) throws SQLException {
    boolean explicit = false;
    List<String> grants = new ArrayList<>();
    try (PreparedStatement ps = admin.prepareStatement("SELECT d.datacl IS NOT NULL, a.grantee = 0,"
        + " pg_get_userbyid(a.grantee), a.privilege_type, a.is_grantable FROM pg_database d"
        + " LEFT JOIN LATERAL aclexplode(d.datacl) a ON true WHERE d.datname = ?")) {
      ps.setString(1, spec.database());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          explicit = rs.getBoolean(1);
          String privilege = rs.getString(4);
          if (privilege != null) {
            grants.add("GRANT " + privilege + " ON DATABASE " + Jdbc.quoteIdent(restored) + " TO "
                + (rs.getBoolean(2) ? "PUBLIC" : Jdbc.quoteIdent(rs.getString(3)))
                + (rs.getBoolean(5) ? " WITH GRANT OPTION" : ""));
          }
        }
      }
    }
    if (explicit) {
      st.execute("REVOKE ALL ON DATABASE " + Jdbc.quoteIdent(restored) + " FROM PUBLIC");
      for (String grant : grants) {
        st.execute(grant);
      }
    }
  }

  /**
   * Gives the restored database the target's own properties, while the target still exists: its connection limit,
   * its comment, and its settings ({@code ALTER DATABASE ... SET} and {@code ALTER ROLE ... IN DATABASE ... SET}),
   * which live in the cluster's catalogs, not in a dump of the database, so a clean restore would drop them.
   */
  private void copyDatabaseProperties(Connection admin, Statement st, String restored) throws SQLException {
    String q = Jdbc.quoteIdent(restored);
    List<String> commands = new ArrayList<>();
    try (PreparedStatement ps = admin.prepareStatement("SELECT d.datconnlimit,"
        + " shobj_description(d.oid, 'pg_database') FROM pg_database d WHERE d.datname = ?")) {
      ps.setString(1, spec.database());
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          if (rs.getInt(1) != -1) {
            commands.add("ALTER DATABASE " + q + " CONNECTION LIMIT " + rs.getInt(1));
          }
          if (rs.getString(2) != null) {
            commands.add("COMMENT ON DATABASE " + q + " IS " + Jdbc.quoteLiteral(rs.getString(2)));
          }
        }
      }
    }
    try (PreparedStatement ps = admin.prepareStatement("SELECT s.setrole <> 0, pg_get_userbyid(s.setrole), c.setting"
        + " FROM pg_db_role_setting s, unnest(s.setconfig) WITH ORDINALITY AS c(setting, n)"
        + " WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = ?) ORDER BY s.setrole, c.n")) {
      ps.setString(1, spec.database());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String setting = rs.getString(3);
          int eq = setting.indexOf('=');
          if (eq <= 0) {
            continue;
          }
          String name = setting.substring(0, eq);
          String prefix = rs.getBoolean(1)
              ? "ALTER ROLE " + Jdbc.quoteIdent(rs.getString(2)) + " IN DATABASE " + q
              : "ALTER DATABASE " + q;
          commands.add(prefix + " SET " + Jdbc.quoteIdent(name) + " TO "
              + settingValue(name, setting.substring(eq + 1)));
        }
      }
    }
    for (String command : commands) {
      st.execute(command);
    }
  }

  /**
   * The value of a stored setting as SQL, the way pg_dumpall writes it: list settings (search_path and the like) are
   * split at commas outside double quotes into one literal per element, so {@code "$user", app} stays two entries
   * instead of becoming one schema of that name; any other value is one literal.
   */
  static String settingValue(String name, String value) {
    String n = name.toLowerCase(java.util.Locale.ROOT);
    if (!Set.of("search_path", "temp_tablespaces", "session_preload_libraries", "shared_preload_libraries",
        "local_preload_libraries", "unix_socket_directories").contains(n)) {
      return Jdbc.quoteLiteral(value);
    }
    List<String> elements = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '"') {
        if (quoted && i + 1 < value.length() && value.charAt(i + 1) == '"') {
          cur.append('"');
          i++;
        } else {
          quoted = !quoted;
        }
      } else if (c == ',' && !quoted) {
        elements.add(cur.toString().strip());
        cur.setLength(0);
      } else if (quoted || !Character.isWhitespace(c) || cur.length() > 0) {
        cur.append(c);
      }
    }
    elements.add(cur.toString().strip());
    List<String> literals = new ArrayList<>();
    for (String e : elements) {
      literals.add(Jdbc.quoteLiteral(e));
    }
    return String.join(", ", literals);
  }

  /**
   * The recorded dependents without the types and functions the target already has: those come along with the
   * selected tables only where they are missing, so restoring tables into a database that holds the schema (e.g.
   * after a {@code schemaOnly} restore) does not fail on {@code CREATE TYPE} of an existing type.
   */
  private List<TableDependents> missingFrom(ConnectionSpec into, List<TableDependents> deps) {
    List<TableDependents> out = new ArrayList<>();
    try (Connection c = Jdbc.connect(into, null);
        PreparedStatement type = c.prepareStatement("SELECT 1 FROM pg_type t JOIN pg_namespace n"
            + " ON n.oid = t.typnamespace WHERE n.nspname = ? AND t.typname = ?");
        PreparedStatement function = c.prepareStatement("SELECT 1 FROM pg_proc p JOIN pg_namespace n"
            + " ON n.oid = p.pronamespace WHERE n.nspname = ? AND p.proname = ?")) {
      for (TableDependents d : deps) {
        PreparedStatement probe = d.kind().equals("t") ? type : d.kind().equals("F") ? function : null;
        if (probe != null) {
          probe.setString(1, d.refSchema());
          probe.setString(2, d.refTable());
          try (ResultSet rs = probe.executeQuery()) {
            if (rs.next()) {
              continue;
            }
          }
        }
        out.add(d);
      }
    } catch (SQLException e) {
      throw Jdbc.translate(e, "cannot inspect " + into.redacted());
    }
    return out;
  }

  private void createSchemasOf(ConnectionSpec into) {
    Set<String> needed = new java.util.LinkedHashSet<>();
    for (String[] t : tables) {
      needed.add(t[0]);
    }
    if (dependencies != null) {
      // the schema of a type or function a selected table needs, which may differ from the table's
      for (TableDependents d : dependencies) {
        if ((d.kind().equals("t") || d.kind().equals("F"))
            && tables.stream().anyMatch(t -> t[0].equals(d.schema()) && t[1].equals(d.table()))) {
          needed.add(d.refSchema());
        }
      }
    }
    createSchemas(into, needed, "the selected tables");
  }

  /** {@code CREATE SCHEMA IF NOT EXISTS} each of {@code schemas} in {@code into}; {@code whose} is for the error. */
  private static void createSchemas(ConnectionSpec into, Set<String> schemas, String whose) {
    try (Connection c = Jdbc.connect(into, null); Statement st = c.createStatement()) {
      for (String schema : schemas) {
        st.execute("CREATE SCHEMA IF NOT EXISTS " + Jdbc.quoteIdent(schema));
      }
    } catch (SQLException e) {
      throw Jdbc.translate(e, "cannot create the schemas of " + whose + " in " + into.redacted());
    }
  }

  /** The pg_dump arguments the backup recorded ({@code postgres.options}), one list entry each. */
  private static List<String> recordedDumpOptions(Map<String, String> meta) {
    return List.of(meta.getOrDefault("postgres.options", "").split(" "));
  }

  /**
   * Whether the existing target may be restored into as it is: true if empty (or nothing in the way of the
   * selection), false if it is not empty but clean=true asks to replace it; throws when not empty and not clean.
   */
  private boolean isEmptyOrAcceptable() {
    try (Connection c = Jdbc.connect(spec, null); Statement st = c.createStatement()) {
      if (!tables.isEmpty()) {
        List<String> existing = new ArrayList<>();
        for (String[] t : tables) {
          try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_class c JOIN pg_namespace n"
              + " ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
            ps.setString(1, t[0]);
            ps.setString(2, t[1]);
            try (ResultSet rs = ps.executeQuery()) {
              if (rs.next()) {
                existing.add(t[0] + "." + t[1]);
              }
            }
          }
        }
        if (!existing.isEmpty() && !dataOnly && !clean) {
          throw new ConfigurationException("refusing to restore into " + spec.redacted() + ": the table(s) "
              + existing + " already exist; drop them, restore into another database, or pass clean=true");
        }
        return true;
      }
      if (dataOnly) {
        return true; // data-only restores go into an existing schema by definition
      }
      try (ResultSet rs = st.executeQuery("""
          SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
                    AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%')
               + (SELECT count(*) FROM pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public')
                    AND nspname NOT LIKE 'pg\\_toast%' AND nspname NOT LIKE 'pg\\_temp%')
               + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
               + (SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql')
               + (SELECT count(*) FROM pg_largeobject_metadata)""")) {
        rs.next();
        long n = rs.getLong(1);
        if (n == 0) {
          return true;
        }
        if (!clean) {
          throw new ConfigurationException("refusing to restore into " + spec.redacted() + ": the database is not"
              + " empty (" + n + " user objects); restore into a new database (create=true), or pass clean=true to"
              + " replace it (the restore goes into a new database that replaces this one only on success)");
        }
        if (!wholeDatabase()) {
          return true; // clean with a selection: pg_restore --clean drops the selected objects first
        }
        return false;
      }
    } catch (SQLException e) {
      throw Jdbc.translate(e, "cannot inspect " + spec.redacted());
    }
  }

  private List<String> selectionArgs() {
    List<String> a = new ArrayList<>();
    if (schemaOnly) {
      a.add("--schema-only");
    }
    if (dataOnly) {
      a.add("--data-only");
      // a data-only load must not fire the target's triggers (audit rows, FK checks against half-loaded tables)
      if (options.bool("disableTriggers", true)) {
        if (superuser) {
          a.add("--disable-triggers");
        } else if (options.string("disableTriggers") != null) {
          throw new ConfigurationException("disableTriggers=true needs a superuser (pg_restore"
              + " --disable-triggers); connect as one or pass disableTriggers=false");
        }
      }
    }
    if (clean && !dataOnly && !wholeDatabase()) {
      a.add("--clean");
      a.add("--if-exists");
    }
    // pg_dump ignores --no-owner for archive formats: the backup's noOwner takes effect here, unless overridden
    if (options.bool("noOwner", archiveNoOwner)) {
      a.add("--no-owner");
    }
    if (options.bool("noPrivileges", false)) {
      a.add("--no-privileges");
    }
    // tables are selected through a filtered table of contents (--use-list), added by the caller
    if (tables.isEmpty()) {
      for (String s : schemas) {
        a.add("--schema=" + s);
      }
    }
    return a;
  }

  /**
   * Reads the archive's table of contents ({@code pg_restore --list}) and writes the entries of the selected tables
   * (with their indexes, constraints, triggers, owned sequences, comments and privileges, and the foreign keys whose
   * referenced table is selected too) to a private list file for {@code --use-list}. pg_restore's own {@code -t}
   * matches table names without their schema and leaves indexes and constraints out.
   */
  private Path tableList(RestoreSession session, PgTool exe, Map<String, String> env, @Nullable Path dir,
      Map<String, String> meta) throws IOException {
    String list = listing(session, exe, env, dir);
    String filtered = TableDependents.filterList(list, tables, dependencies != null ? dependencies
        : TableDependents.parse(meta.getOrDefault("postgres.dependents", "")));
    if (filtered.isBlank()) {
      throw new io.backup4j.api.NotFoundException("none of the tables " + options.string("tables")
          + " is in this backup; check the names (schema.table, case-sensitive)");
    }
    List<String> missing = new ArrayList<>();
    for (String[] t : tables) {
      if (!filtered.contains(" TABLE " + t[0] + " " + t[1] + " ")) {
        missing.add(t[0] + "." + t[1]);
      }
    }
    if (!missing.isEmpty()) {
      throw new io.backup4j.api.NotFoundException("the table(s) " + missing + " are not in this backup; check the"
          + " names (schema.table, case-sensitive)");
    }
    Path file = session.temporaryDirectory().resolve("restore-" + System.nanoTime() + ".list");
    Files.writeString(file, filtered, java.nio.charset.StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE);
    return file;
  }

  /**
   * A backup taken with the source option {@code tables} ({@code pg_dump --table}) holds no {@code CREATE SCHEMA}:
   * pg_dump dumps only the matched tables. Restored whole into a new database its tables would fail on a missing
   * schema, so the schemas of the archive's tables are created first.
   */
  private void createSchemasOfTableArchive(RestoreSession session, PgTool exe, Map<String, String> env,
      @Nullable Path dir, ConnectionSpec into) throws IOException {
    boolean tableArchive = recordedDumpOptions(session.manifest().sourceMetadata()).stream()
        .anyMatch(a -> a.startsWith("--table="));
    if (!tableArchive || dataOnly || !tables.isEmpty()) {
      return;
    }
    Set<String> schemasNeeded = new java.util.LinkedHashSet<>();
    for (String line : listing(session, exe, env, dir).split("\n")) {
      // "<dumpId>; <tableoid> <oid> TABLE <schema> <name> <owner>"
      String[] f = line.split(" ");
      if (f.length >= 6 && f[0].endsWith(";") && f[3].equals("TABLE") && !f[4].equals("-")) {
        schemasNeeded.add(f[4]);
      }
    }
    createSchemas(into, schemasNeeded, "the archive's tables");
  }

  /** The archive's table of contents, {@code pg_restore --list}. */
  private String listing(RestoreSession session, PgTool exe, Map<String, String> env, @Nullable Path dir)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(exe.path().toString(), "--list"));
    cmd.add(dir == null ? "--format=custom" : "--format=directory");
    if (dir != null) {
      cmd.add(dir.toString());
    }
    try (ChildProcess child = ChildProcess.start(cmd, env, null, null, null)) {
      session.cancellation().onCancel(child::kill);
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      java.util.concurrent.atomic.AtomicBoolean cut = new java.util.concurrent.atomic.AtomicBoolean();
      Thread reader = new Thread(() -> {
        try (InputStream in = child.stdout()) {
          byte[] buf = new byte[8192];
          int n;
          while ((n = in.read(buf)) >= 0) {
            if (out.size() < TOC_LIMIT) { // a table of contents is small; never hold an unbounded amount
              out.write(buf, 0, n);
            } else {
              cut.set(true);
            }
          }
        } catch (IOException ignored) {
          // the child ended
        }
      }, "pg_restore-list");
      reader.setDaemon(true);
      reader.start();
      if (dir == null) {
        // only the archive's head (its table of contents) is needed: stream until pg_restore stops reading
        try (InputStream in = session.openPart(PostgresSource.PART_CUSTOM)) {
          OutputStream stdin = child.stdin();
          byte[] buf = new byte[64 * 1024];
          int n;
          while ((n = in.read(buf)) >= 0) {
            stdin.write(buf, 0, n);
          }
          stdin.close();
        } catch (IOException pipeClosed) {
          // expected: pg_restore --list exits after the table of contents
        }
      } else {
        child.stdin().close();
      }
      int rc = child.waitFor();
      try {
        reader.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted");
      }
      if (rc != 0) {
        SourceException failed = new SourceException("cannot read the archive's table of contents: "
            + child.describeExit(rc));
        throw dir == null ? damagedOr(session, failed) : failed;
      }
      if (cut.get()) {
        // a cut listing would silently leave out the entries past the cut, e.g. a selected table's data
        throw new ConfigurationException("the archive's table of contents is larger than " + (TOC_LIMIT >> 20)
            + " MiB, too large to select tables from; restore the whole backup into a staging database instead");
      }
      return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private boolean singleTransaction(boolean fileInput) {
    // atomicity comes from dropping a database of our own on failure; an existing database needs the transaction
    boolean dflt = jobs == 1 && !intoOwnDatabase;
    boolean st = options.bool("singleTransaction", dflt);
    if (st && jobs > 1) {
      throw new ConfigurationException("singleTransaction cannot be combined with jobs>1 (pg_restore restriction)");
    }
    return st && (fileInput || jobs == 1);
  }

  private void runPgRestoreCustom(RestoreSession session, PgTool exe, Map<String, String> env, ConnectionSpec into)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(exe.path().toString(), "--verbose", "--no-password",
        "--exit-on-error", "--format=custom", "--dbname=" + into.dbnameConninfo()));
    if (singleTransaction(jobs > 1)) {
      cmd.add("--single-transaction");
    }
    cmd.addAll(selectionArgs());
    if (!tables.isEmpty()) {
      cmd.add("--use-list=" + tableList(session, exe, env, null, session.manifest().sourceMetadata()));
    }
    createSchemasOfTableArchive(session, exe, env, null, into);
    // A selective restore lets pg_restore finish, and commit, before it has read the whole archive, while the part
    // stream proves its SHA-256 only at its end: streamed, a tampered archive would be restored first and detected
    // after. Into a database of our own that is undone by dropping it; into an existing one the archive is verified
    // completely before pg_restore starts.
    boolean mayFinishEarly = schemaOnly || !tables.isEmpty() || !schemas.isEmpty();
    String streamedJobs = streamedParallelLoad(session.manifest().sourceMetadata());
    if (streamedJobs == null) {
      restoreCustomInSections(session, exe, env, into, List.copyOf(cmd.subList(0, 6)));
      return;
    }
    if (jobs > 1 || (mayFinishEarly && !intoOwnDatabase)) {
      // pg_restore -j needs to seek in the archive, which a pipe cannot do
      Path spool = session.temporaryDirectory().resolve("archive.pgc");
      session.warn((jobs > 1 ? "jobs=" + jobs + ": pg_restore cannot restore in parallel from a stream (and " + streamedJobs
          + ")" : "a selective restore into an existing database must not start before the whole archive is verified")
          + ", so the archive is first written to a private temporary file (" + spool + "); it needs as much free"
          + " space as the dump");
      Files.createFile(spool, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      try {
        try (InputStream in = session.openPart(PostgresSource.PART_CUSTOM);
            OutputStream out = Files.newOutputStream(spool, StandardOpenOption.WRITE)) {
          in.transferTo(out);
        }
        if (jobs > 1) {
          cmd.add("--jobs=" + jobs);
        }
        cmd.add(spool.toString());
        runWithStdin(session, cmd, env, null);
      } finally {
        Files.deleteIfExists(spool);
      }
      return;
    }
    // the archive in larger data blocks: pg_restore sends each as one message (see CustomArchive.reblocked)
    runWithStdin(session, cmd, env, PostgresSource.PART_CUSTOM, null, true, null, 0, true);
  }

  /**
   * Null if a custom archive can be restored from the stream in sections, loading its data over {@code jobs}
   * connections ({@link ParallelDataLoad}; with {@code jobs=1} only for its binary COPY); otherwise why not.
   */
  private @Nullable String streamedParallelLoad(Map<String, String> meta) {
    if (jobs <= 1 && !binaryCopy) {
      return "jobs=1 with binaryCopy=false";
    }
    if (jobs <= 1 && singleTransaction(true)) {
      return "singleTransaction=true";
    }
    if (!intoOwnDatabase) {
      return "the streamed parallel load runs only into a database of its own (create=true, or clean=true), which"
          + " a failure drops";
    }
    if (schemaOnly || dataOnly || !tables.isEmpty()) {
      return "the streamed parallel load restores whole archives or schemas, not schemaOnly, dataOnly or tables";
    }
    if (!"UTF8".equals(meta.get("postgres.encoding"))) {
      return "the streamed parallel load copies through JDBC, which speaks UTF8, and the dump's encoding is "
          + meta.getOrDefault("postgres.encoding", "not recorded");
    }
    for (String o : recordedDumpOptions(meta)) {
      if (o.startsWith("--inserts") || o.startsWith("--column-inserts") || o.startsWith("--rows-per-insert")
          || o.startsWith("-E") || o.startsWith("--encoding")) {
        return "the dump was made with " + o;
      }
    }
    return null;
  }

  /**
   * Restores a custom archive from the stream in three runs: {@code pg_restore --section=pre-data} (it reads only the
   * archive's head, then the stream is closed), the data section written out as SQL ({@link CustomArchive} reads it
   * out of an uncompressed archive without large objects itself, else {@code pg_restore --section=data --file=-}) and
   * loaded over {@code jobs} connections, rows of one table in parallel, while the whole
   * part is read and verified (its head, as far as pre-data read it, copied to a private file), and {@code pg_restore
   * --section=post-data --jobs=N} of that file (indexes, constraints, triggers; no data is read from it). Runs only
   * into a database of its own, which the caller drops if anything fails.
   */
  private void restoreCustomInSections(RestoreSession session, PgTool exe, Map<String, String> env,
      ConnectionSpec into, List<String> base) throws IOException {
    List<String> select = selectionArgs();
    List<String> pre = new ArrayList<>(base);
    pre.add("--section=pre-data");
    pre.addAll(select);
    // the loader's connections are opened while pre-data runs (each took a fresh JVM 0.1-0.2 s, one after the other)
    List<CompletableFuture<Connection>> opening = new ArrayList<>();
    for (int i = 0; i < jobs; i++) {
      opening.add(onOwnThread(() -> Jdbc.connect(into, null)));
    }
    try {
      restoreCustomInSections(session, exe, env, into, base, select, pre, opening);
    } finally {
      // waits for connections still being made: one left open would keep a failed restore's database from being
      // dropped
      for (CompletableFuture<Connection> f : opening) {
        try {
          closeQuietly(f.join());
        } catch (RuntimeException failedToConnect) {
          // reported by the load if it got that far; otherwise the earlier failure is what counts
        }
      }
    }
  }

  private void restoreCustomInSections(RestoreSession session, PgTool exe, Map<String, String> env,
      ConnectionSpec into, List<String> base, List<String> select, List<String> pre,
      List<CompletableFuture<Connection>> opening) throws IOException {
    long headBytes = runHeadOnly(session, pre, env);

    // the script goes to stdout: pg_restore 12 and later want "--file=-" for that, older ones write to stdout
    // without --file (and would create a file named "-")
    List<String> data = new ArrayList<>(List.of(exe.path().toString(), "--no-password", "--exit-on-error",
        "--format=custom", "--section=data"));
    if (exe.major() >= 12) {
      data.add("--file=-");
    }
    data.addAll(select);
    // the archive's head (what pre-data read: its table of contents) is copied from this run, whose bytes are
    // verified at the part's end, into a private file: post-data then runs from it with pg_restore --jobs
    Path head = session.temporaryDirectory().resolve("archive-head.pgc");
    Files.createFile(head, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    List<Connection> connections = new ArrayList<>();
    try (OutputStream headCopy = Files.newOutputStream(head, StandardOpenOption.WRITE)) {
      for (CompletableFuture<Connection> f : opening) {
        try {
          connections.add(f.join());
        } catch (CompletionException e) {
          throw e.getCause() instanceof RuntimeException r ? r : e;
        }
      }
      ParallelDataLoad load = new ParallelDataLoad(connections, session, into.redacted(), binaryCopy);
      // --no-owner and --no-privileges change nothing in a data section; a schema selection does
      if (schemas.isEmpty() && readableInJava(session)) {
        loadDataFromArchive(session, load, headCopy, headBytes);
      } else {
        runWithStdin(session, data, env, PostgresSource.PART_CUSTOM, load::load, true, headCopy, headBytes, false);
      }
      // a data section that loaded no table although the backup recorded rows would be a silent loss: refuse it
      if (load.tablesLoaded() == 0 && recordedRows(session.manifest().sourceMetadata()) > 0) {
        throw new IntegrityException("the archive's data section, as written out for the loader, held no table data,"
            + " although the backup recorded rows; restore it with jobs=1 and binaryCopy=false, which leaves the data"
            + " to pg_restore");
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(head);
      throw e;
    } finally {
      for (Connection c : connections) {
        closeQuietly(c); // before post-data; the caller closes any that opened late
      }
    }

    // indexes, constraints and triggers, N at a time (parallel restore needs a file; no data is read from it)
    List<String> post = new ArrayList<>(base);
    post.add("--section=post-data");
    post.add("--jobs=" + jobs);
    post.addAll(select);
    post.add(head.toString());
    try {
      runWithStdin(session, post, env, null);
    } finally {
      Files.deleteIfExists(head);
    }
  }

  /**
   * Whether {@link CustomArchive} can write out the archive's data section itself (no pg_restore needed for it);
   * false if not, or if the head cannot be read (the pg_restore run then reports what is wrong). Reads only the head
   * of the part, which is verified later, when the data run reads the whole part.
   */
  private static boolean readableInJava(RestoreSession session) {
    try (InputStream in = new java.io.BufferedInputStream(session.openPart(PostgresSource.PART_CUSTOM), 64 * 1024)) {
      CustomArchive.readHead(in);
      return true;
    } catch (CustomArchive.Unsupported | IOException | RuntimeException notHere) {
      return false; // pg_restore writes the data section out, equally right, one process more
    }
  }

  /**
   * Reads the whole part (verified at its end), its first {@code headBytes} copied to {@code headCopy}, and loads
   * its data section, as {@link CustomArchive} writes it out, through {@code load}.
   */
  private static void loadDataFromArchive(RestoreSession session, ParallelDataLoad load, OutputStream headCopy,
      long headBytes) throws IOException {
    try (InputStream part = session.openPart(PostgresSource.PART_CUSTOM);
        Prefetcher chunks = new Prefetcher(part, 128 * 1024, 8, "backup4j-archive-read")) {
      InputStream chunked = chunks.asStream();
      InputStream in = new BulkInputStream() {
        private long headLeft = headBytes;

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          int n = chunked.read(b, off, len);
          if (n > 0 && headLeft > 0) {
            int h = (int) Math.min(headLeft, n);
            headCopy.write(b, off, h);
            headLeft -= h;
          }
          return n;
        }
      };
      CustomArchive.Head head;
      try {
        head = CustomArchive.readHead(in);
      } catch (CustomArchive.Unsupported e) {
        // it was readable a moment ago: the part changed under us
        throw new IntegrityException("the archive's table of contents changed between two reads: " + e.getMessage());
      }
      load.load(CustomArchive.dataScript(head, in));
    }
  }

  /**
   * Runs a pg_restore that reads only the archive's head, which is not verified by then; if it fails, the whole part
   * is read, so that a damaged or tampered archive is reported as such and not as pg_restore's reading error.
   */
  private long runHeadOnly(RestoreSession session, List<String> cmd, Map<String, String> env) throws IOException {
    try {
      return runWithStdin(session, cmd, env, PostgresSource.PART_CUSTOM, null, false, null, 0, false);
    } catch (SourceException failed) {
      throw damagedOr(session, failed);
    }
  }

  /**
   * After a pg_restore that read only the archive's head (not yet verified) failed: reads the whole part, and throws
   * its {@link IntegrityException} if it is damaged or tampered (pg_restore's error then only followed from that);
   * otherwise returns {@code failed} for the caller to throw.
   */
  private static SourceException damagedOr(RestoreSession session, SourceException failed) throws IOException {
    try (InputStream in = session.openPart(PostgresSource.PART_CUSTOM)) {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IntegrityException damaged) {
      damaged.addSuppressed(failed);
      throw damaged;
    }
    return failed;
  }

  /** The sum of the row estimates the backup recorded (postgres.rowEstimates), 0 if none. */
  private static long recordedRows(Map<String, String> meta) {
    long sum = 0;
    for (long v : Jdbc.decodeCounts(meta.getOrDefault("postgres.rowEstimates", "")).values()) {
      sum += Math.max(0, v);
    }
    return sum;
  }

  @Override
  public void close() {
    if (adminTaken.compareAndSet(false, true)) {
      // never restored (a failure before, or the engine chose another target): close it once it is open
      admin.thenAccept(facts -> closeQuietly(facts.connection()));
    }
  }

  /** The admin connection with the server's version, whether the user is a superuser and whether the target exists. */
  private record AdminFacts(Connection connection, int serverVersionNum, boolean superuser, boolean exists,
      long openedAtNanos) {}

  /** A connection older than this when the restore takes it is opened again (idle timeouts, stale answers). */
  private static final long ADMIN_REUSE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);

  /** Connects (or does other work that waits on the server) on a daemon thread of its own. */
  private static <T> CompletableFuture<T> onOwnThread(Supplier<T> work) {
    return CompletableFuture.supplyAsync(work, r -> {
      Thread t = new Thread(r, "backup4j-pg-connect");
      t.setDaemon(true);
      t.start();
    });
  }

  private static AdminFacts openAdmin(ConnectionSpec adminSpec, ConnectionSpec target) {
    Connection c = Jdbc.connect(adminSpec, null);
    try (PreparedStatement ps = c.prepareStatement("SELECT current_setting('server_version_num')::int,"
        + " (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),"
        + " EXISTS (SELECT 1 FROM pg_database WHERE datname = ?)")) {
      ps.setString(1, target.database());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new AdminFacts(c, rs.getInt(1), rs.getBoolean(2), rs.getBoolean(3), System.nanoTime());
      }
    } catch (SQLException e) {
      closeQuietly(c);
      throw Jdbc.translate(e, "cannot prepare the restore into " + target.redacted());
    } catch (RuntimeException | Error e) {
      closeQuietly(c);
      throw e;
    }
  }

  /** Waits for the connection the constructor started; its failure is this restore's, with the same exception. */
  private AdminFacts takeAdmin() {
    if (!adminTaken.compareAndSet(false, true)) {
      throw new IllegalStateException("a PostgreSQL restore target restores once; open another for the next restore");
    }
    AdminFacts facts;
    try {
      facts = admin.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      admin.thenAccept(f -> closeQuietly(f.connection()));
      throw new CancelledException("the restore into " + spec.redacted() + " was interrupted while connecting", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new SourceException("cannot connect to " + adminSpec.redacted(), cause);
    }
    if (System.nanoTime() - facts.openedAtNanos() > ADMIN_REUSE_NANOS) {
      // the engine verified the whole backup first, or waited otherwise: ask again on a fresh connection
      closeQuietly(facts.connection());
      return openAdmin(adminSpec, spec);
    }
    return facts;
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException ignored) {
      // nothing left to do with it
    }
  }

  /** Consumes a child's stdout; runs on a thread of its own. */
  @FunctionalInterface
  interface StdoutConsumer {
    void accept(InputStream stdout) throws IOException;
  }

  private void runPgRestoreDirectory(RestoreSession session, PgTool exe, Map<String, String> env, Manifest manifest,
      ConnectionSpec into)
      throws IOException {
    Path dir = session.temporaryDirectory().resolve("pgdump-dir");
    Files.createDirectories(dir);
    session.warn("directory-format backup: its files are materialised in a private temporary directory (" + dir
        + ") because pg_restore reads a directory; it needs as much free space as the dump");
    for (PartInfo p : manifest.parts()) {
      if (!p.name().startsWith(PostgresSource.DIR_PREFIX)) {
        continue;
      }
      String file = p.name().substring(PostgresSource.DIR_PREFIX.length());
      if (file.contains("/") || file.isEmpty()) {
        throw new IntegrityException("unexpected part " + p.name() + " in a directory-format backup");
      }
      try (InputStream in = session.openPart(p.name())) {
        Files.copy(in, dir.resolve(file));
      }
    }
    List<String> cmd = new ArrayList<>(List.of(exe.path().toString(), "--verbose", "--no-password",
        "--exit-on-error", "--format=directory", "--dbname=" + into.dbnameConninfo()));
    if (singleTransaction(true)) {
      cmd.add("--single-transaction");
    }
    if (jobs > 1) {
      cmd.add("--jobs=" + jobs);
    }
    cmd.addAll(selectionArgs());
    if (!tables.isEmpty()) {
      cmd.add("--use-list=" + tableList(session, exe, env, dir, manifest.sourceMetadata()));
    }
    createSchemasOfTableArchive(session, exe, env, dir, into);
    cmd.add(dir.toString());
    runWithStdin(session, cmd, env, null);
  }

  private void runPsql(RestoreSession session, PgTool exe, Map<String, String> env, ConnectionSpec into)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of(exe.path().toString(), "--no-psqlrc", "--no-password", "--quiet",
        "--set=ON_ERROR_STOP=1", "--dbname=" + into.dbnameConninfo(), "--file=-"));
    if (singleTransaction(false)) {
      cmd.add("--single-transaction");
    }
    runWithStdin(session, cmd, env, PostgresSource.PART_PLAIN);
  }

  /**
   * Runs the restore program, streaming a part into its stdin if {@code part} is given.
   *
   * <p>The last chunk read from the part is held back until the part stream has reported a verified end (the engine
   * checks length and SHA-256 before returning end-of-stream). pg_restore and psql need those final bytes to finish,
   * so they cannot commit a restore of damaged data: on an {@link IntegrityException} they are killed first, and the
   * single transaction rolls back. A child that finishes early on purpose (a schema-only or table-selective restore
   * needs only the archive's head) closes its stdin; the rest of the part is then still read, to verify it.
   */
  private void runWithStdin(RestoreSession session, List<String> cmd, Map<String, String> env, @Nullable String part)
      throws IOException {
    runWithStdin(session, cmd, env, part, null, true, null, 0, false);
  }

  /**
   * As above; {@code consumer} (if given) reads the child's stdout instead of it being discarded, and a failure there
   * kills the child and fails the run. With {@code readWholePart=false} the part is read only as far as the child
   * reads it (a child that needs only the archive's head), so it is not verified here: the caller must read it whole
   * in another run. With {@code headCopy}, the first {@code headBytes} bytes of the part are also written there.
   * With {@code reblock}, the child reads the custom archive with its data blocks joined ({@link
   * CustomArchive#reblocked}).
   *
   * @return the bytes of the part written to the child's stdin
   */
  private long runWithStdin(RestoreSession session, List<String> cmd, Map<String, String> env, @Nullable String part,
      @Nullable StdoutConsumer consumer, boolean readWholePart, @Nullable OutputStream headCopy, long headBytes,
      boolean reblock) throws IOException {
    long fed = 0;
    long headLeft = headCopy == null ? 0 : headBytes;
    int[] items = {0};
    Secret pw = spec.password();
    try (ChildProcess child = ChildProcess.start(cmd, env, null, line -> {
      if (line.contains("processing data for table") || line.contains("creating TABLE ")) {
        session.progress("items", ++items[0], -1, line);
      }
    }, pw)) {
      session.cancellation().onCancel(child::kill);
      // drain stdout (psql prints command tags) so the child never blocks on a full pipe, or hand it to the consumer
      java.util.concurrent.atomic.AtomicReference<Throwable> consumerFailure =
          new java.util.concurrent.atomic.AtomicReference<>();
      Thread out = new Thread(() -> {
        try (InputStream in = child.stdout()) {
          if (consumer != null) {
            consumer.accept(in);
          } else {
            in.transferTo(OutputStream.nullOutputStream());
          }
        } catch (IOException | RuntimeException | Error e) {
          if (consumer != null) {
            consumerFailure.set(e);
            child.kill();
          }
        }
      }, child.name() + "-stdout");
      out.setDaemon(true);
      out.start();
      if (part != null) {
        OutputStream stdin = child.stdin();
        boolean childClosedInput = false;
        if (!readWholePart) {
          // the child reads only the archive's head: feed it on this thread, and stop when it has had enough (no
          // reader thread may still be decoding when the part stream is closed)
          try (InputStream in = session.openPart(part)) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while (!childClosedInput && (n = in.read(buf)) > 0) {
              session.cancellation().throwIfCancelled();
              try {
                stdin.write(buf, 0, n);
                fed += n;
              } catch (IOException pipeClosed) {
                childClosedInput = true;
              }
            }
          } catch (IOException | RuntimeException e) {
            child.kill();
            int rc = child.waitFor();
            if (e instanceof CancelledException || e instanceof IntegrityException) {
              throw e;
            }
            throw new SourceException("restore into " + spec.redacted() + " failed while streaming the backup: "
                + e.getMessage() + "\n" + child.describeExit(rc), e);
          }
        } else {
          try (InputStream in = reblock ? CustomArchive.reblocked(session.openPart(part)) : session.openPart(part);
              Prefetcher chunks = new Prefetcher(in, 128 * 1024, 8, child.name() + "-feed")) {
            byte[] held = chunks.next();
            while (held != null) {
              session.cancellation().throwIfCancelled();
              if (consumerFailure.get() != null) {
                break;
              }
              byte[] next = chunks.next(); // throws IntegrityException instead of ending for a damaged part
              if (headLeft > 0 && headCopy != null) {
                int h = (int) Math.min(headLeft, held.length);
                headCopy.write(held, 0, h);
                headLeft -= h;
              }
              if (!childClosedInput) {
                try {
                  stdin.write(held);
                  fed += held.length;
                } catch (IOException pipeClosed) {
                  childClosedInput = true; // finished early or failed: the exit code decides below
                }
              }
              chunks.recycle(held); // written (or dropped): the reader may fill it again
              held = next;
            }
          } catch (IOException | RuntimeException e) {
            // kill before closing stdin: a clean EOF could let the child commit what it has read so far
            child.kill();
            int rc = child.waitFor();
            joinQuietly(out);
            Throwable cf = consumerFailure.get();
            if (cf != null && cf != e) {
              e.addSuppressed(cf); // the consumer lost its input because of this failure, or failed on its own
            }
            if (e instanceof CancelledException || e instanceof IntegrityException) {
              throw e;
            }
            throw new SourceException("restore into " + spec.redacted() + " failed while streaming the backup: "
                + e.getMessage() + "\n" + child.describeExit(rc), e);
          }
        }
        try {
          stdin.close();
        } catch (IOException e) {
          // the child exited early; its exit code and stderr say why
        }
      } else {
        child.stdin().close();
      }
      int rc = child.waitFor();
      if (consumer != null) {
        joinQuietly(out);
        session.cancellation().throwIfCancelled(); // a cancelled load ends like a cut-short script: say cancelled
        rethrowConsumerFailure(consumerFailure.get());
      }
      session.cancellation().throwIfCancelled();
      if (rc != 0) {
        throw new SourceException("restore into " + spec.redacted() + " failed: " + child.describeExit(rc));
      }
    }
    return fed;
  }

  private static void joinQuietly(Thread t) {
    try {
      t.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void rethrowConsumerFailure(@Nullable Throwable t) throws IOException {
    if (t == null) {
      return;
    }
    if (t instanceof IOException io) {
      throw io;
    }
    if (t instanceof RuntimeException r) {
      throw r;
    }
    throw (Error) t;
  }

  private void dropDatabase(RestoreSession session, ConnectionSpec adminSpec, String name, int serverMajor) {
    try (Connection admin = Jdbc.connect(adminSpec, null); Statement st = admin.createStatement()) {
      st.execute("DROP DATABASE IF EXISTS " + Jdbc.quoteIdent(name) + (serverMajor >= 13 ? " WITH (FORCE)" : ""));
    } catch (SQLException | RuntimeException e) {
      session.warn("the restore failed and the database " + name + " it created could not be dropped: "
          + e.getMessage());
    }
  }

  private void postChecks(RestoreSession session, Map<String, String> meta, ConnectionSpec into, boolean own) {
    boolean verifyCounts = options.bool("verifyRowCounts", false);
    if (!verifyCounts && assertions.isEmpty()) {
      return;
    }
    List<String> failures = new ArrayList<>();
    try (Connection c = Jdbc.connect(into, null); Statement st = c.createStatement()) {
      if (verifyCounts) {
        Map<String, Long> expected = Jdbc.decodeCounts(meta.getOrDefault("postgres.rowCounts", ""));
        int checked = 0;
        for (Map.Entry<String, Long> e : expected.entrySet()) {
          String key = e.getKey();
          int nul = key.indexOf('\u0000');
          String schema = key.substring(0, nul);
          String table = key.substring(nul + 1);
          if (!selected(schema, table)) {
            continue;
          }
          String q = Jdbc.quoteIdent(schema) + "." + Jdbc.quoteIdent(table);
          try (ResultSet rs = st.executeQuery("SELECT count(*) FROM ONLY " + q)) {
            rs.next();
            long n = rs.getLong(1);
            if (n != e.getValue()) {
              failures.add(Jdbc.display(key) + " has " + n + " rows, the backup recorded " + e.getValue());
            }
          } catch (SQLException ex) {
            failures.add(Jdbc.display(key) + ": " + ex.getMessage());
          }
          session.progress("tables verified", ++checked, expected.size(), Jdbc.display(key));
        }
      }
      for (String sql : assertions) {
        try (ResultSet rs = st.executeQuery(sql)) {
          if (!rs.next() || !rs.getBoolean(1) || rs.wasNull()) {
            failures.add("assertion did not return true: " + sql);
          }
        } catch (SQLException ex) {
          failures.add("assertion failed with an error: " + sql + ": " + ex.getMessage());
        }
      }
    } catch (SQLException e) {
      throw Jdbc.translate(e, "cannot check the restored database " + spec.redacted());
    }
    if (!failures.isEmpty()) {
      throw new IntegrityException("the restore into " + spec.redacted() + " finished but its checks failed"
          + (own ? " (the database it created was dropped again)" : " (the restored objects were left in place)")
          + ":\n  " + String.join("\n  ", failures));
    }
  }

  private boolean selected(String schema, String table) {
    if (!tables.isEmpty()) {
      return tables.stream().anyMatch(t -> t[0].equals(schema) && t[1].equals(table));
    }
    return schemas.isEmpty() || schemas.contains(schema);
  }

  @Override
  public String toString() {
    return "PostgresRestoreTarget[" + spec.redacted() + "]";
  }
}
