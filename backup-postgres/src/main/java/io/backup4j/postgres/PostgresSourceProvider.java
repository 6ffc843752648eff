package io.backup4j.postgres;

import io.backup4j.api.BackupSource;
import io.backup4j.api.RestoreTarget;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.SourceProvider;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * The {@code postgres} source provider: logical backups with pg_dump, restores with pg_restore or psql.
 *
 * <p>Source: {@code postgres://user[:password]@host[:port]/database[?sslmode=...]} (also {@code postgresql://} and
 * {@code jdbc:postgresql://host:port/database?user=..&password=..}). Options: {@code format} (custom|directory|plain),
 * {@code jobs} (directory only), {@code compress} (pg_dump's own level, default 0), {@code schemaOnly},
 * {@code dataOnly}, {@code schemas}, {@code excludeSchemas}, {@code tables}, {@code excludeTables},
 * {@code excludeTableData} (comma-separated pg_dump patterns), {@code noOwner}, {@code noPrivileges},
 * {@code pgDumpArgs} (comma-separated allow-listed long options), {@code countRows}, {@code binDir},
 * {@code password}, {@code passwordFile}.
 *
 * <p>Restore target: the same URI forms naming the database to restore into. Options: {@code create}, {@code clean},
 * {@code tables} (schema.table,...), {@code schemas}, {@code schemaOnly}, {@code dataOnly}, {@code jobs},
 * {@code singleTransaction}, {@code noOwner}, {@code noPrivileges}, {@code verifyRowCounts}, {@code assert} and
 * {@code assert.<name>} (SQL returning true), {@code maintenanceDatabase}, {@code binDir}, {@code password},
 * {@code passwordFile}.
 */
public final class PostgresSourceProvider implements SourceProvider {
  /** The provider name and backup kind. */
  public static final String NAME = "postgres";

  /** Creates the provider (called by {@link java.util.ServiceLoader}). */
  public PostgresSourceProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  /** {@code postgres}, {@code postgresql} and {@code jdbc} (only {@code jdbc:postgresql:} URLs are accepted). */
  @Override
  public Set<String> schemes() {
    return Set.of("postgres", "postgresql", "jdbc");
  }

  @Override
  public Set<String> sensitiveOptions() {
    return Set.of("password");
  }

  @Override
  public String description() {
    return "postgres: PostgreSQL logical backups with pg_dump/pg_restore (postgres://user@host:port/db; options"
        + " format, jobs, schemaOnly, dataOnly, schemas, tables, excludeSchemas, excludeTables, noOwner,"
        + " noPrivileges, pgDumpArgs, countRows, binDir, passwordFile; restore: create, clean, tables, jobs,"
        + " singleTransaction, verifyRowCounts, assert)";
  }

  @Override
  public BackupSource openSource(URI uri, Map<String, String> options, ProviderContext context) {
    return PostgresSource.Builder.create(uri.toString(), null, null, options, context);
  }

  @Override
  public RestoreTarget openTarget(String target, Map<String, String> options, ProviderContext context) {
    return new PostgresRestoreTarget(target, options, null, context);
  }
}
