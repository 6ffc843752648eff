package io.backup4j.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.BackupException;
import io.backup4j.api.Manifest;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.core.RestoreJob;
import io.backup4j.testkit.postgres.DatabaseFingerprint;
import io.backup4j.testkit.postgres.PostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What each pg_dump selection and ownership option of the source really leaves out, and what the restore's
 * {@code singleTransaction} and {@code noOwner} really do, checked in the restored database of a real server (a small
 * database with two schemas, three tables, an owner role and a grant), each against a default backup as control.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BackupRestoreOptionsTest {
  static final String SOURCE = "opts";
  static final String EMPTY_MD5 = "0:d41d8cd98f00b204e9800998ecf8427e";
  static final String RESTORER_PASSWORD = "restorer-Pw:2\\y";
  static final List<String> ALL = List.of("app.orders", "app.users", "audit.trail");

  PostgresServer pg;
  Path pgDump;
  Path tmp;
  Path repo;
  Map<String, String> sourceTables;
  String sourceSchema;
  Manifest defaultBackup;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    tmp = dir;
    pgDump = PgTestSupport.pgDump();
    PgTestSupport.clientMajor();
    pg = PgTestSupport.start(14);
    repo = tmp.resolve("repo");
    pg.execute("postgres", "CREATE ROLE opt_owner NOLOGIN; CREATE ROLE opt_reader NOLOGIN;"
        + " CREATE ROLE opt_restorer LOGIN PASSWORD '" + RESTORER_PASSWORD.replace("'", "''") + "'");
    pg.createDatabase(SOURCE);
    pg.execute(SOURCE, """
        CREATE SCHEMA app AUTHORIZATION opt_owner;
        CREATE SCHEMA audit AUTHORIZATION opt_owner;
        CREATE TABLE app.users (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE app.orders (id int PRIMARY KEY, user_id int NOT NULL REFERENCES app.users, total numeric);
        CREATE TABLE audit.trail (id int PRIMARY KEY, what text);
        INSERT INTO app.users SELECT i, 'user ' || i FROM generate_series(1, 50) i;
        INSERT INTO app.orders SELECT i, 1 + i % 50, i * 1.5 FROM generate_series(1, 120) i;
        INSERT INTO audit.trail SELECT i, 'event ' || i FROM generate_series(1, 30) i;
        ALTER TABLE app.users OWNER TO opt_owner;
        ALTER TABLE app.orders OWNER TO opt_owner;
        ALTER TABLE audit.trail OWNER TO opt_owner;
        GRANT USAGE ON SCHEMA app TO opt_reader;
        GRANT SELECT ON app.users TO opt_reader;
        """);
    sourceTables = DatabaseFingerprint.tableDigests(pg, SOURCE, null);
    assertThat(sourceTables).containsOnlyKeys(ALL).doesNotContainValue(EMPTY_MD5);
    sourceSchema = DatabaseFingerprint.schemaDump(pg, SOURCE, pgDump);
    assertThat(sourceSchema).contains("GRANT SELECT ON TABLE app.users TO opt_reader")
        .contains("OWNER TO opt_owner");
    defaultBackup = backup(Map.of());
  }

  @AfterAll
  void stop() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  Manifest backup(Map<String, String> options) {
    try (Backups b = PgTestSupport.backups(repo)) {
      BackupJob.Builder job = BackupJob.builder().source(pg.uri(SOURCE));
      options.forEach(job::sourceOption);
      return b.backup(job.build());
    }
  }

  void restore(Manifest m, String uri, Map<String, String> options) {
    try (Backups b = PgTestSupport.backups(repo)) {
      RestoreJob.Builder job = RestoreJob.builder(uri);
      options.forEach(job::option);
      b.restore(m.id(), job.build());
    }
  }

  /** Backs up with the source options and restores whole into a new database; returns its name. */
  String backupAndRestore(String prefix, Map<String, String> sourceOptions) {
    Manifest m = backup(sourceOptions);
    String db = PgTestSupport.uniqueDb(prefix);
    restore(m, pg.uri(db), Map.of("create", "true"));
    return db;
  }

  @Nullable String owners(String db) throws Exception {
    return pg.queryValue(db, "SELECT string_agg(n.nspname || '.' || c.relname || '=' || pg_get_userbyid(c.relowner),"
        + " ',' ORDER BY n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r'"
        + " AND n.nspname IN ('app', 'audit')");
  }

  String readerGrants(String db) throws Exception {
    return pg.queryValue(db, "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = 'opt_reader'");
  }

  @Test
  void defaultBackupRestoresOwnersGrantsAndEveryRow() throws Exception {
    String db = PgTestSupport.uniqueDb("control");
    restore(defaultBackup, pg.uri(db), Map.of("create", "true"));
    assertThat(DatabaseFingerprint.tableDigests(pg, db, null)).isEqualTo(sourceTables);
    assertThat(DatabaseFingerprint.schemaDump(pg, db, pgDump)).isEqualTo(sourceSchema);
    assertThat(owners(db)).isEqualTo("app.orders=opt_owner,app.users=opt_owner,audit.trail=opt_owner");
    assertThat(readerGrants(db)).isEqualTo("1");
  }

  @Test
  void schemaOnlyBackupRestoresEveryTableEmpty() throws Exception {
    String db = backupAndRestore("schema_only", Map.of("schemaOnly", "true"));
    assertThat(DatabaseFingerprint.tableDigests(pg, db, null))
        .isEqualTo(Map.of("app.orders", EMPTY_MD5, "app.users", EMPTY_MD5, "audit.trail", EMPTY_MD5));
    assertThat(DatabaseFingerprint.schemaDump(pg, db, pgDump)).isEqualTo(sourceSchema);
  }

  @Test
  void dataOnlyBackupHoldsNoSchemaButFillsAnExistingOne() throws Exception {
    Manifest dataOnly = backup(Map.of("dataOnly", "true"));
    // on its own it cannot create a single table: there is no DDL in it
    String bare = PgTestSupport.uniqueDb("data_only_bare");
    assertThatThrownBy(() -> restore(dataOnly, pg.uri(bare), Map.of("create", "true")))
        .isInstanceOf(BackupException.class).hasMessageContaining("does not exist");
    assertThat(pg.databaseExists(bare)).as("the database the failed restore created is dropped").isFalse();

    String db = backupAndRestore("data_only", Map.of("schemaOnly", "true"));
    restore(dataOnly, pg.uri(db), Map.of("dataOnly", "true"));
    assertThat(DatabaseFingerprint.tableDigests(pg, db, null)).isEqualTo(sourceTables);
  }

  @ParameterizedTest
  @ValueSource(strings = {"schemas=app", "excludeSchemas=audit"})
  void schemaSelectionLeavesTheOtherSchemaOut(String option) throws Exception {
    String[] kv = option.split("=");
    String db = backupAndRestore("schemas", Map.of(kv[0], kv[1]));
    assertThat(DatabaseFingerprint.tableDigests(pg, db, null))
        .isEqualTo(DatabaseFingerprint.tableDigests(pg, SOURCE, List.of("app.users", "app.orders")));
    assertThat(pg.queryValue(db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'audit'")).isEqualTo("0");
  }

  @Test
  void tablesBackupHoldsOnlyThatTable() throws Exception {
    // pg_dump --table dumps no CREATE SCHEMA: the restore creates the schemas of the archive's tables
    String db = backupAndRestore("tables", Map.of("tables", "app.users"));
    assertThat(DatabaseFingerprint.tableDigests(pg, db, null))
        .isEqualTo(DatabaseFingerprint.tableDigests(pg, SOURCE, List.of("app.users")));
  }

  @Test
  void excludeTablesLeavesThatTableOutAndKeepsTheRest() throws Exception {
    String db = backupAndRestore("exclude_tables", Map.of("excludeTables", "app.orders"));
    assertThat(DatabaseFingerprint.tableDigests(pg, db, null))
        .isEqualTo(DatabaseFingerprint.tableDigests(pg, SOURCE, List.of("app.users", "audit.trail")));
    assertThat(pg.queryValue(db, "SELECT to_regclass('app.orders') IS NULL")).isEqualTo("t");
  }

  /** pg_dump ignores --no-owner for archive formats: the restore applies the backup's noOwner. */
  @Test
  void noOwnerBackupRestoresObjectsOwnedByTheRestoringUser() throws Exception {
    String db = backupAndRestore("no_owner", Map.of("noOwner", "true"));
    assertThat(owners(db)).isEqualTo("app.orders=postgres,app.users=postgres,audit.trail=postgres");
    assertThat(pg.queryValue(db, "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'app'"))
        .isEqualTo("postgres");
    assertThat(DatabaseFingerprint.tableDigests(pg, db, null)).isEqualTo(sourceTables);
  }

  @Test
  void noPrivilegesBackupRestoresNoGrants() throws Exception {
    String db = backupAndRestore("no_privileges", Map.of("noPrivileges", "true"));
    assertThat(readerGrants(db)).isEqualTo("0");
    assertThat(DatabaseFingerprint.schemaDump(pg, db, pgDump)).doesNotContain("opt_reader")
        .contains("OWNER TO opt_owner");
    assertThat(DatabaseFingerprint.tableDigests(pg, db, null)).isEqualTo(sourceTables);
  }

  /**
   * A failure late in the restore, after every table and its rows went in: the archive's publication already exists
   * in the (otherwise empty) target. With {@code singleTransaction=true} everything rolls back; the control without
   * it shows that the tables had been restored when the failure came.
   */
  @Test
  void singleTransactionRollsBackARestoreThatFailsAfterTheDataWentIn() throws Exception {
    String source = PgTestSupport.uniqueDb("tx_src");
    pg.createDatabase(source);
    pg.execute(source, "CREATE TABLE public.a (x int PRIMARY KEY); INSERT INTO public.a SELECT generate_series(1, 100);"
        + " CREATE TABLE public.b (y text); INSERT INTO public.b VALUES ('one'), ('two');"
        + " CREATE PUBLICATION tx_pub FOR TABLE public.a");
    Manifest m;
    try (Backups b = PgTestSupport.backups(repo)) {
      m = b.backup(BackupJob.builder().source(pg.uri(source)).build());
    }
    String target = PgTestSupport.uniqueDb("tx_dst");
    pg.createDatabase(target);
    pg.execute(target, "CREATE PUBLICATION tx_pub");
    DatabaseFingerprint before = DatabaseFingerprint.of(pg, target, pgDump);

    assertThatThrownBy(() -> restore(m, pg.uri(target), Map.of("singleTransaction", "true")))
        .isInstanceOf(BackupException.class).hasMessageContaining("tx_pub").hasMessageContaining("already exists");
    assertThat(DatabaseFingerprint.of(pg, target, pgDump)).as("the target after the failed restore").isEqualTo(before);
    assertThat(pg.queryValue(target, "SELECT to_regclass('public.a') IS NULL")).isEqualTo("t");

    String control = PgTestSupport.uniqueDb("tx_ctl");
    pg.createDatabase(control);
    pg.execute(control, "CREATE PUBLICATION tx_pub");
    assertThatThrownBy(() -> restore(m, pg.uri(control), Map.of("singleTransaction", "false")))
        .isInstanceOf(BackupException.class).hasMessageContaining("tx_pub");
    assertThat(DatabaseFingerprint.tableDigests(pg, control, null)).as("without the transaction the rows stay")
        .isEqualTo(DatabaseFingerprint.tableDigests(pg, source, null));
  }

  /**
   * A non-superuser restores into a database it owns: the archive's {@code ALTER ... OWNER TO opt_owner} fails for
   * it (and rolls back), with {@code noOwner} every object is its own. Its password comes from {@code passwordFile}.
   */
  @Test
  void noOwnerRestoreAsAnOrdinaryUserMakesItTheOwnerOfEverything() throws Exception {
    Path passwordFile = Files.createFile(tmp.resolve("restorer.pw"),
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(passwordFile, RESTORER_PASSWORD + "\n");
    String db = PgTestSupport.uniqueDb("restorer");
    pg.createDatabase(db);
    pg.execute("postgres", "ALTER DATABASE " + db + " OWNER TO opt_restorer");
    String uri = pg.uriWithoutPassword(db).replace("postgres@", "opt_restorer@");
    Map<String, String> auth = Map.of("passwordFile", passwordFile.toString());

    assertThatThrownBy(() -> restore(defaultBackup, uri, auth))
        .isInstanceOf(BackupException.class).hasMessageContaining("opt_owner")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(RESTORER_PASSWORD));
    assertThat(pg.queryValue(db, "SELECT count(*) FROM pg_namespace WHERE nspname IN ('app', 'audit')"))
        .as("the failed restore rolled back").isEqualTo("0");

    restore(defaultBackup, uri, Map.of("passwordFile", passwordFile.toString(), "noOwner", "true"));
    assertThat(owners(db)).isEqualTo("app.orders=opt_restorer,app.users=opt_restorer,audit.trail=opt_restorer");
    assertThat(pg.queryValue(db, "SELECT string_agg(pg_get_userbyid(nspowner), ',') FROM pg_namespace"
        + " WHERE nspname IN ('app', 'audit')")).isEqualTo("opt_restorer,opt_restorer");
    assertThat(DatabaseFingerprint.tableDigests(pg, db, null)).isEqualTo(sourceTables);
    assertThat(Files.readString(passwordFile)).isEqualTo(RESTORER_PASSWORD + "\n");
  }
}
