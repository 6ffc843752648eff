package io.backup4j.postgres;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which archive entries belong to a table although their tags do not name it: indexes, owned sequences (serial and
 * identity columns) and foreign keys with the table they reference. pg_restore's table list ({@code -l}) prints
 * neither dependencies nor the table of an index, so the backup records them ({@code postgres.dependents}) and a
 * table-selective restore uses them to restore each selected table with its indexes, sequences and keys.
 *
 * <pre>
 * postgres.dependents := line*            one line per object, fields percent-encoded, separated by TAB
 * line := kind TAB schema TAB name TAB table [TAB refSchema TAB refTable] "\n"
 * kind := "i" (index) | "S" (owned sequence) | "f" (foreign key constraint, with the referenced table)
 *       | "p" (partition: name is the partition, refSchema/refTable its schema and name again)
 *       | "t" (user-defined type or domain a column uses, also through domains, arrays, composites and ranges:
 *              name and refTable the type, refSchema its schema)
 *       | "F" (user-defined function a trigger, default, check constraint, index or policy of the table calls:
 *              name and refTable the function's name, refSchema its schema)
 * </pre>
 *
 * <p>Readers ignore kinds they do not know, so older releases read newer backups (without restoring the types and
 * functions along).
 *
 * @param kind i, S, f, p, t or F
 * @param schema the schema of the object and its table
 * @param name the object's name
 * @param table the table it belongs to
 * @param refSchema for f: the referenced table's schema, else empty
 * @param refTable for f: the referenced table, else empty
 */
record TableDependents(String kind, String schema, String name, String table, String refSchema, String refTable) {

  static String query(Connection c) throws SQLException {
    StringBuilder b = new StringBuilder();
    try (Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("""
          SELECT n.nspname, ic.relname, tc.relname FROM pg_index x
          JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_class tc ON tc.oid = x.indrelid
          JOIN pg_namespace n ON n.oid = tc.relnamespace
          WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'""")) {
        while (rs.next()) {
          line(b, "i", rs.getString(1), rs.getString(2), rs.getString(3), "", "");
        }
      }
      try (ResultSet rs = st.executeQuery("""
          SELECT n.nspname, s.relname, t.relname FROM pg_depend d
          JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
          JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace n ON n.oid = s.relnamespace
          WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
            AND n.nspname NOT IN ('pg_catalog', 'information_schema')""")) {
        while (rs.next()) {
          line(b, "S", rs.getString(1), rs.getString(2), rs.getString(3), "", "");
        }
      }
      try (ResultSet rs = st.executeQuery("""
          SELECT pn.nspname, pc.relname, cc.relname, cn.nspname FROM pg_inherits i
          JOIN pg_class pc ON pc.oid = i.inhparent AND pc.relkind = 'p'
          JOIN pg_namespace pn ON pn.oid = pc.relnamespace
          JOIN pg_class cc ON cc.oid = i.inhrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace""")) {
        while (rs.next()) {
          line(b, "p", rs.getString(1), rs.getString(3), rs.getString(2), rs.getString(4), rs.getString(3));
        }
      }
      // the types a table's columns need (pg_dump has no entry for a table's own row type or for an extension's
      // types, so only domains, enums, composite types and ranges in user schemas are recorded)
      try (ResultSet rs = st.executeQuery("""
          WITH RECURSIVE used(tschema, tname, typ) AS (
            SELECT n.nspname, c.relname, a.atttypid FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
              AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
            UNION
            SELECT u.tschema, u.tname, x.typ FROM used u JOIN pg_type t ON t.oid = u.typ
            CROSS JOIN LATERAL (
              SELECT t.typbasetype AS typ WHERE t.typtype = 'd'
              UNION ALL SELECT t.typelem WHERE t.typelem <> 0 AND t.typcategory = 'A'
              UNION ALL SELECT a2.atttypid FROM pg_attribute a2
                WHERE t.typtype = 'c' AND a2.attrelid = t.typrelid AND a2.attnum > 0 AND NOT a2.attisdropped
              UNION ALL SELECT r.rngsubtype FROM pg_range r WHERE r.rngtypid = t.oid) x)
          SELECT DISTINCT u.tschema, t.typname, u.tname, tn.nspname FROM used u
          JOIN pg_type t ON t.oid = u.typ JOIN pg_namespace tn ON tn.oid = t.typnamespace
          WHERE t.typtype IN ('d', 'e', 'c', 'r')
            AND tn.nspname NOT IN ('pg_catalog', 'information_schema') AND tn.nspname NOT LIKE 'pg\\_%'
            AND NOT EXISTS (SELECT 1 FROM pg_class rc WHERE rc.oid = t.typrelid AND rc.relkind <> 'c')
            AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid
                            AND e.deptype = 'e')""")) {
        while (rs.next()) {
          line(b, "t", rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(2));
        }
      }
      // the functions a table's triggers, defaults, generated columns, check constraints, indexes and policies call
      try (ResultSet rs = st.executeQuery("""
          SELECT DISTINCT tn.nspname, p.proname, t.relname, pn.nspname FROM (
            SELECT 'pg_class'::regclass AS classid, c.oid AS objid, c.oid AS tbl FROM pg_class c
            UNION ALL SELECT 'pg_attrdef'::regclass, ad.oid, ad.adrelid FROM pg_attrdef ad
            UNION ALL SELECT 'pg_constraint'::regclass, co.oid, co.conrelid FROM pg_constraint co WHERE co.conrelid <> 0
            UNION ALL SELECT 'pg_trigger'::regclass, tg.oid, tg.tgrelid FROM pg_trigger tg WHERE NOT tg.tgisinternal
            UNION ALL SELECT 'pg_class'::regclass, x.indexrelid, x.indrelid FROM pg_index x
            UNION ALL SELECT 'pg_policy'::regclass, po.oid, po.polrelid FROM pg_policy po) o
          JOIN pg_depend d ON d.classid = o.classid AND d.objid = o.objid AND d.refclassid = 'pg_proc'::regclass
          JOIN pg_proc p ON p.oid = d.refobjid JOIN pg_namespace pn ON pn.oid = p.pronamespace
          JOIN pg_class t ON t.oid = o.tbl AND t.relkind IN ('r', 'p', 'm', 'f')
          JOIN pg_namespace tn ON tn.oid = t.relnamespace
          WHERE pn.nspname NOT IN ('pg_catalog', 'information_schema') AND pn.nspname NOT LIKE 'pg\\_%'
            AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid
                            AND e.deptype = 'e')""")) {
        while (rs.next()) {
          line(b, "F", rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(2));
        }
      }
      try (ResultSet rs = st.executeQuery("""
          SELECT n.nspname, co.conname, t.relname, rn.nspname, r.relname FROM pg_constraint co
          JOIN pg_class t ON t.oid = co.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
          JOIN pg_class r ON r.oid = co.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
          WHERE co.contype = 'f' AND n.nspname NOT IN ('pg_catalog', 'information_schema')""")) {
        while (rs.next()) {
          line(b, "f", rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5));
        }
      }
    }
    return b.toString();
  }

  private static void line(StringBuilder b, String... fields) {
    for (int i = 0; i < fields.length; i++) {
      if (i > 0) {
        b.append('\t');
      }
      b.append(URLEncoder.encode(fields[i], StandardCharsets.UTF_8));
    }
    b.append('\n');
  }

  static List<TableDependents> parse(String text) {
    List<TableDependents> out = new ArrayList<>();
    for (String l : text.split("\n")) {
      if (l.isBlank()) {
        continue;
      }
      String[] f = l.split("\t", -1);
      if (f.length < 6) {
        continue; // written by a newer release with a different layout: ignore rather than guess
      }
      out.add(new TableDependents(dec(f[0]), dec(f[1]), dec(f[2]), dec(f[3]), dec(f[4]), dec(f[5])));
    }
    return out;
  }

  private static String dec(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }

  /**
   * Filters a {@code pg_restore --list} output down to the entries of the selected tables, in archive order.
   *
   * @param tables selected tables as {schema, table}
   */
  static String filterList(String list, List<String[]> tables, List<TableDependents> deps) {
    Set<String> patterns = new LinkedHashSet<>();
    Set<String> selected = new LinkedHashSet<>();
    List<String[]> all = new ArrayList<>(tables);
    for (String[] t : tables) {
      selected.add(t[0] + "\u0000" + t[1]);
    }
    // a selected partitioned table brings its partitions (where its rows live), recursively
    boolean grew = true;
    while (grew) {
      grew = false;
      for (TableDependents d : deps) {
        if (d.kind.equals("p") && selected.contains(d.schema + "\u0000" + d.table)
            && selected.add(d.refSchema + "\u0000" + d.refTable)) {
          all.add(new String[] {d.refSchema, d.refTable});
          patterns.add(" TABLE ATTACH " + d.refSchema + " " + d.refTable + " ");
          grew = true;
        }
      }
    }
    for (String[] t : all) {
      String s = t[0];
      String n = t[1];
      for (String type : List.of("TABLE", "TABLE DATA", "VIEW", "MATERIALIZED VIEW", "MATERIALIZED VIEW DATA",
          "SEQUENCE", "SEQUENCE SET", "SEQUENCE OWNED BY")) {
        patterns.add(" " + type + " " + s + " " + n + " ");
      }
      for (String type : List.of("CONSTRAINT", "TRIGGER", "DEFAULT", "POLICY", "RULE", "CHECK CONSTRAINT")) {
        patterns.add(" " + type + " " + s + " " + n + " ");
      }
      patterns.add(" COMMENT " + s + " TABLE " + n + " ");
      patterns.add(" COMMENT " + s + " COLUMN " + n + ".");
      patterns.add(" ACL " + s + " TABLE " + n + " ");
      patterns.add(" ACL " + s + " COLUMN " + n + ".");
    }
    for (TableDependents d : deps) {
      if (!selected.contains(d.schema + "\u0000" + d.table)) {
        continue;
      }
      switch (d.kind) {
        case "i" -> {
          patterns.add(" INDEX " + d.schema + " " + d.name + " ");
          patterns.add(" INDEX ATTACH " + d.schema + " " + d.name + " ");
        }
        case "S" -> {
          for (String type : List.of("SEQUENCE", "SEQUENCE SET", "SEQUENCE OWNED BY")) {
            patterns.add(" " + type + " " + d.schema + " " + d.name + " ");
          }
        }
        case "t" -> {
          // the archive calls an enum, composite or range a TYPE and a domain a DOMAIN
          for (String type : List.of("TYPE", "DOMAIN")) {
            patterns.add(" " + type + " " + d.refSchema + " " + d.refTable + " ");
            patterns.add(" COMMENT " + d.refSchema + " " + type + " " + d.refTable + " ");
            patterns.add(" ACL " + d.refSchema + " " + type + " " + d.refTable + " ");
          }
        }
        case "F" -> {
          // tags are name(argument types): every overload of the name comes along
          patterns.add(" FUNCTION " + d.refSchema + " " + d.refTable + "(");
          patterns.add(" COMMENT " + d.refSchema + " FUNCTION " + d.refTable + "(");
          patterns.add(" ACL " + d.refSchema + " FUNCTION " + d.refTable + "(");
        }
        case "f" -> {
          // a foreign key can only be restored when the table it references comes along (or already exists)
          if (selected.contains(d.refSchema + "\u0000" + d.refTable)) {
            patterns.add(" FK CONSTRAINT " + d.schema + " " + d.table + " " + d.name + " ");
          }
        }
        default -> { }
      }
    }
    StringBuilder out = new StringBuilder();
    for (String line : list.split("\n")) {
      if (line.startsWith(";") || line.isBlank()) {
        continue;
      }
      int semi = line.indexOf(';');
      if (semi < 0) {
        continue;
      }
      // "<dumpId>; <tableoid> <oid> <TYPE> <schema> <tag> <owner>": match the part after the two OIDs
      String rest = line.substring(semi + 1);
      int sp1 = rest.indexOf(' ', 1);
      int sp2 = sp1 < 0 ? -1 : rest.indexOf(' ', sp1 + 1);
      if (sp2 < 0) {
        continue;
      }
      String entry = rest.substring(sp2) + " ";
      boolean fk = entry.startsWith(" FK CONSTRAINT ");
      for (String p : patterns) {
        if (entry.startsWith(p) && (!fk || p.startsWith(" FK CONSTRAINT "))) {
          out.append(line).append('\n');
          break;
        }
      }
    }
    return out.toString();
  }
}
