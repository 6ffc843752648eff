package io.backup4j.postgres;

import io.backup4j.api.ConfigurationException;
import java.util.List;
import java.util.Set;

/**
 * Validation of user-supplied extra pg_dump arguments. An allow-list, not a deny-list: only long options that change
 * what is dumped are accepted, so no argument can redirect the output ({@code --file}), change the format the restore
 * expects ({@code --format}), point at another server ({@code --host}, {@code --dbname}) or carry or prompt for a
 * password ({@code --password}, a conninfo string).
 */
final class ExtraArgs {
  /** Options taking no value. */
  private static final Set<String> FLAGS = Set.of(
      "--no-comments", "--no-publications", "--no-subscriptions", "--no-security-labels", "--no-tablespaces",
      "--no-toast-compression", "--no-unlogged-table-data", "--no-table-access-method", "--no-large-objects",
      "--no-blobs", "--large-objects", "--blobs", "--enable-row-security", "--quote-all-identifiers",
      "--serializable-deferrable", "--load-via-partition-root", "--inserts", "--column-inserts",
      "--disable-dollar-quoting", "--disable-triggers", "--no-synchronized-snapshots", "--strict-names",
      "--use-set-session-authorization", "--no-sync", "--no-owner", "--no-privileges", "--no-acl",
      "--on-conflict-do-nothing", "--if-exists", "--clean", "--create", "--no-sequence-data");
  /** Options taking a value, written {@code --name=value}. */
  private static final Set<String> VALUED = Set.of(
      "--lock-wait-timeout", "--exclude-table-data", "--exclude-table-data-and-children", "--extension",
      "--exclude-extension", "--section", "--rows-per-insert", "--include-foreign-data", "--role", "--table",
      "--exclude-table", "--schema", "--exclude-schema", "--table-and-children", "--exclude-table-and-children",
      "--encoding", "--extra-float-digits");

  private ExtraArgs() {}

  static List<String> validate(List<String> args) {
    for (String a : args) {
      int eq = a.indexOf('=');
      String name = eq < 0 ? a : a.substring(0, eq);
      boolean ok = eq < 0 ? FLAGS.contains(name) : VALUED.contains(name) && eq < a.length() - 1;
      if (!ok) {
        String shown = name.length() > 60 ? name.substring(0, 60) + "..." : name;
        throw new ConfigurationException("pg_dump argument '" + shown + "' is not allowed in pgDumpArgs: only long"
            + " options that select what is dumped are accepted, written --name or --name=value (allowed: "
            + String.join(" ", new java.util.TreeSet<>(FLAGS)) + " " + String.join("= ", new java.util.TreeSet<>(VALUED))
            + "=). Output, format, connection and password options are set by backup4j; use the source options for"
            + " them.");
      }
      if (a.indexOf('\n') >= 0 || a.indexOf('\0') >= 0) {
        throw new ConfigurationException("pg_dump argument " + name + " contains a line break or NUL");
      }
    }
    return List.copyOf(args);
  }
}
