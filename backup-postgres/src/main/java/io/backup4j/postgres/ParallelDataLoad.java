package io.backup4j.postgres;

import io.backup4j.api.IntegrityException;
import io.backup4j.api.RestoreSession;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Loads the data section of a custom-format archive, as {@code pg_restore --section=data --file=-} writes it out as
 * SQL, over several connections: the rows of each {@code COPY} block go, in runs of about {@link #RUN} bytes cut at
 * row boundaries, to the connections in turn, each holding one {@code COPY ... FROM STDIN} open per table, so the
 * server parses and inserts one table's rows in several backends at once (pg_restore's {@code --jobs} only spreads
 * whole tables, and not at all from a stream). Everything else in the section (sequence values, large objects, the
 * session settings) runs in order on the first connection; the settings are applied to every connection before it
 * copies.
 *
 * <p>Only the shapes pg_restore writes for a data section are accepted: comment and blank lines, {@code SET} and
 * {@code set_config} settings, {@code COPY ... FROM stdin;} blocks ended by a {@code \.} line, and single-line
 * statements ending with {@code ;}. Anything else (a multi-line statement, a line starting with a backslash) fails
 * the load with an {@link IntegrityException} instead of being guessed at. One thread does the reading and the
 * writing; memory is bounded by one run buffer and one statement line.
 */
final class ParallelDataLoad {
  /** Bytes of rows one connection receives before the next takes over (cut at a row boundary). */
  static final int RUN = 1 << 20;
  /** Bytes of text rows converted and sent at a time in binary. */
  private static final int BINARY_BATCH = 128 * 1024;
  /** A row longer than this (with the rows before it) ends the binary COPY of its table; it goes as text. */
  private static final int MAX_BINARY_PENDING = 8 << 20;
  private static final int MAX_STATEMENT = 64 << 20;
  private static final byte[] COPY_PREFIX = "COPY ".getBytes(StandardCharsets.US_ASCII);
  private static final String COPY_SUFFIX = " FROM stdin;";

  private final List<Connection> connections;
  private final RestoreSession session;
  private final String target;
  private final List<String> settings = new ArrayList<>();
  private final int[] settingsApplied;
  private final @Nullable CopyIn[] open;
  private final byte[] buf = new byte[1 << 20];
  private int pos;
  private int limit;
  private boolean eof;
  private final byte[] batch = new byte[256 * 1024];
  private int batchLength;
  private int current;
  private long tablesDone;
  private long tablesInBinary;
  private boolean sentBinary;
  private final boolean binaryCopy;
  private final boolean[] openBinary;
  private @Nullable Map<String, Map<String, Integer>> columnTypes;
  private @Nullable BinaryCopy binary;
  /** Rows held back for the binary COPY; {@link #pendRows} bytes of them are complete rows. */
  private final BinaryCopy.Out pend = new BinaryCopy.Out();
  private int pendRows;
  private final BinaryCopy.Out tuples = new BinaryCopy.Out();

  /**
   * @param connections one per job, autocommit on, into the database being restored; closed by the caller
   * @param target the redacted target, for messages
   */
  ParallelDataLoad(List<Connection> connections, RestoreSession session, String target) {
    this(connections, session, target, true);
  }

  /**
   * @param binaryCopy whether the rows of tables whose column types {@link BinaryCopy} handles are sent as binary
   *     {@code COPY} (the server parses them in about half the time)
   */
  ParallelDataLoad(List<Connection> connections, RestoreSession session, String target, boolean binaryCopy) {
    if (connections.isEmpty()) {
      throw new IllegalArgumentException("no connections");
    }
    this.connections = List.copyOf(connections);
    this.session = session;
    this.target = target;
    this.settingsApplied = new int[connections.size()];
    this.open = new CopyIn[connections.size()];
    this.openBinary = new boolean[connections.size()];
    this.binaryCopy = binaryCopy;
  }

  /** Tables whose rows all went as binary COPY (some did, and none fell back to text). */
  long tablesLoadedInBinary() {
    return tablesInBinary;
  }

  /** Tables whose data was loaded. */
  long tablesLoaded() {
    return tablesDone;
  }

  /** Reads the script to its end and loads it; on failure the open COPYs are cancelled. */
  void load(InputStream script) throws IOException {
    try {
      ByteArrayOutputStream line = new ByteArrayOutputStream(256);
      while (readLine(script, line)) {
        session.cancellation().throwIfCancelled();
        byte[] l = line.toByteArray();
        line.reset();
        handle(script, l);
      }
    } catch (SQLException e) {
      cancelOpen();
      throw Jdbc.translate(e, "parallel data load into " + target + " failed");
    } catch (IOException | RuntimeException e) {
      cancelOpen();
      throw e;
    }
  }

  private void handle(InputStream script, byte[] l) throws IOException, SQLException {
    int n = l.length;
    if (n == 0 || (n >= 2 && l[0] == '-' && l[1] == '-')) {
      return;
    }
    String s = new String(l, StandardCharsets.UTF_8);
    if (startsWith(l, COPY_PREFIX) && s.endsWith(COPY_SUFFIX)) {
      String sql = s.substring(0, s.length() - 1); // the statement without its ';'
      copyBlock(script, sql);
      return;
    }
    if (l[0] == '\\') {
      if (s.startsWith("\\restrict ") || s.startsWith("\\unrestrict ")) {
        return; // psql's guard against meta-commands in a dump (PostgreSQL 13.22/14.19/15.14/16.10/17.6 on); no psql here
      }
      throw new IntegrityException("the archive's data section holds a line pg_restore does not write for data ("
          + preview(s) + "); restore it with jobs=1 and binaryCopy=false, which leaves the data to pg_restore");
    }
    if (!s.endsWith(";")) {
      throw new IntegrityException("the archive's data section holds a statement over several lines ("
          + preview(s) + "), which the parallel load does not take apart; restore it with jobs=1 and"
          + " binaryCopy=false, which leaves the data to pg_restore");
    }
    Connection first = connections.get(0);
    if (s.startsWith("SET ") || s.startsWith("SELECT pg_catalog.set_config(")) {
      settings.add(s);
    }
    applySettings(0);
    try (Statement st = first.createStatement()) {
      st.execute(s);
    }
  }

  private void applySettings(int i) throws SQLException {
    if (settingsApplied[i] == settings.size()) {
      return;
    }
    try (Statement st = connections.get(i).createStatement()) {
      for (int k = settingsApplied[i]; k < settings.size(); k++) {
        st.execute(settings.get(k));
      }
    }
    settingsApplied[i] = settings.size();
  }

  /** Streams the rows of one COPY block, in runs, to the connections in turn, then ends every COPY it opened. */
  private void copyBlock(InputStream script, String sql) throws IOException, SQLException {
    String table = sql.substring(COPY_PREFIX.length, sql.indexOf(' ', COPY_PREFIX.length));
    session.progress("tables loading", tablesDone, -1, table);
    CopyColumns cols = binaryCopy ? CopyColumns.parse(sql) : null;
    binary = cols == null ? null : binaryFor(cols);
    sentBinary = false;
    pend.n = 0;
    pendRows = 0;
    boolean rowStart = true;
    long sinceSwitch = 0;
    boolean switchDue = false;
    current = (current + 1) % connections.size(); // spread the first runs of small tables too
    while (true) {
      if (pos == limit || (rowStart && limit - pos < 3 && !eof)) {
        if (!fill(script)) {
          if (pos == limit) {
            throw new IntegrityException("the data of " + table + " ends without its end-of-data line (\\.): the"
                + " archive is cut short");
          }
        }
        continue;
      }
      if (rowStart) {
        if (limit - pos >= 3 && buf[pos] == '\\' && buf[pos + 1] == '.' && buf[pos + 2] == '\n') {
          pos += 3;
          break;
        }
        if (limit - pos == 2 && eof && buf[pos] == '\\' && buf[pos + 1] == '.') {
          pos += 2;
          break;
        }
        if (binary != null && pend.n >= BINARY_BATCH) {
          sendPending(sql);
        }
        if (switchDue) {
          if (binary != null) {
            sendPending(sql);
          }
          flushBatch();
          current = (current + 1) % connections.size();
          sinceSwitch = 0;
          switchDue = false;
        }
      }
      int nl = indexOf(buf, pos, limit, (byte) '\n');
      int end = nl < 0 ? limit : nl + 1;
      if (binary != null) {
        if (pend.n + (end - pos) > MAX_BINARY_PENDING) {
          toText(sql, true); // a row larger than the buffer: it and the rest go as text
          append(sql, buf, pos, end - pos);
        } else {
          pend.ensure(end - pos);
          System.arraycopy(buf, pos, pend.a, pend.n, end - pos);
          pend.n += end - pos;
          if (nl >= 0) {
            pendRows = pend.n;
          }
        }
      } else {
        append(sql, buf, pos, end - pos);
      }
      sinceSwitch += end - pos;
      pos = end;
      rowStart = nl >= 0;
      if (rowStart && sinceSwitch >= RUN) {
        switchDue = true;
      }
    }
    if (binary != null) {
      sendPending(sql);
      if (binary != null && sentBinary) {
        tablesInBinary++;
        session.progress("tables loaded as binary COPY", tablesInBinary, -1, table);
      }
    }
    flushBatch();
    for (int i = 0; i < open.length; i++) {
      CopyIn c = open[i];
      if (c != null) {
        open[i] = null;
        if (openBinary[i]) {
          openBinary[i] = false;
          c.writeToCopy(BinaryCopy.TRAILER, 0, BinaryCopy.TRAILER.length);
        }
        c.endCopy();
      }
    }
    tablesDone++;
    session.progress("tables loaded", tablesDone, -1, table);
  }

  /**
   * Sends the complete rows held back for the binary COPY, converted, to the current connection; if they do not
   * convert, the table goes on as text from them on.
   */
  private void sendPending(String sql) throws SQLException {
    BinaryCopy bin = binary;
    if (bin == null || pendRows == 0) {
      return;
    }
    tuples.n = 0;
    if (bin.transcode(pend.a, 0, pendRows, tuples)) {
      writeTuples(sql);
    } else {
      toText(sql, false);
    }
  }

  /** Writes the converted tuples to the current connection's binary COPY and drops their rows from the held ones. */
  private void writeTuples(String sql) throws SQLException {
    CopyIn c = open[current];
    if (c == null) {
      applySettings(current);
      c = connections.get(current).unwrap(PGConnection.class).getCopyAPI().copyIn(sql + " (FORMAT binary)");
      open[current] = c;
      openBinary[current] = true;
      c.writeToCopy(BinaryCopy.HEADER, 0, BinaryCopy.HEADER.length);
    }
    c.writeToCopy(tuples.a, 0, tuples.n);
    sentBinary = true;
    int rest = pend.n - pendRows;
    System.arraycopy(pend.a, pendRows, pend.a, 0, rest);
    pend.n = rest;
    pendRows = 0;
    if (tuples.a.length > MAX_BINARY_PENDING * 2) {
      tuples.a = new byte[64 * 1024]; // one large run's buffer is not kept for the rest of the load
    }
  }

  /**
   * Goes on with the table in text: sends the complete rows held back in binary if {@code convertHeldRows} and
   * they convert, ends the binary COPYs, and hands the rest of what is held back to the text path.
   */
  private void toText(String sql, boolean convertHeldRows) throws SQLException {
    BinaryCopy bin = binary;
    binary = null;
    if (bin != null && convertHeldRows && pendRows > 0) {
      tuples.n = 0;
      if (bin.transcode(pend.a, 0, pendRows, tuples)) {
        writeTuples(sql);
      }
    }
    for (int i = 0; i < open.length; i++) {
      CopyIn c = open[i];
      if (c != null && openBinary[i]) {
        open[i] = null;
        openBinary[i] = false;
        c.writeToCopy(BinaryCopy.TRAILER, 0, BinaryCopy.TRAILER.length);
        c.endCopy();
      }
    }
    if (pend.n > 0) {
      append(sql, pend.a, 0, pend.n);
    }
    pend.n = 0;
    pendRows = 0;
    if (pend.a.length > MAX_BINARY_PENDING) {
      pend.a = new byte[64 * 1024];
    }
  }

  /**
   * The transcoder for the columns of this COPY statement, or null if the statement is not in the form pg_dump
   * writes, a column is not found in the target or one is of a type {@link BinaryCopy} does not handle.
   */
  private @Nullable BinaryCopy binaryFor(CopyColumns cols) throws SQLException {
    if (columnTypes == null) {
      columnTypes = readColumnTypes(connections.get(0));
    }
    Map<String, Integer> byName = columnTypes.get(cols.table());
    if (byName == null) {
      return null;
    }
    int[] oids = new int[cols.columns().size()];
    for (int i = 0; i < oids.length; i++) {
      Integer oid = byName.get(cols.columns().get(i));
      if (oid == null) {
        return null;
      }
      oids[i] = oid;
    }
    return BinaryCopy.forTypes(oids);
  }

  /**
   * Every table's columns and the type oids of their binary form, by table and column name as {@code quote_ident}
   * writes them (which is how pg_dump writes them too; a name written otherwise only misses, and its table loads as
   * text). An enum's binary form is its label's text, like {@code text}'s; a domain's is its base type's (the
   * server checks the domain's constraints on receipt as on text input); an array of a base type's elements is the
   * element type's oid negated (see {@link BinaryCopy#handles}); a domain over a domain or an array, an array of
   * enums, domains or composites, or any other kind is 0 or an oid {@link BinaryCopy} does not handle.
   */
  private static Map<String, Map<String, Integer>> readColumnTypes(Connection c)
      throws SQLException {
    Map<String, Map<String, Integer>> m = new HashMap<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT pg_catalog.quote_ident(n.nspname) || '.'"
            + " || pg_catalog.quote_ident(c.relname), pg_catalog.quote_ident(a.attname),"
            // a user type's oid may not fit an int4: it is clamped, and no type BinaryCopy handles is near the ends
            + " LEAST(GREATEST(CASE t.typtype WHEN 'b' THEN CASE WHEN t.typreceive = 'pg_catalog.array_recv'::pg_catalog.regproc"
            + "     THEN CASE et.typtype WHEN 'b' THEN -(et.oid::pg_catalog.int8) ELSE 0 END"
            + "     ELSE t.oid::pg_catalog.int8 END"
            + "   WHEN 'e' THEN 25" // text
            + "   WHEN 'd' THEN CASE bt.typtype WHEN 'b' THEN bt.oid::pg_catalog.int8 WHEN 'e' THEN 25 ELSE 0 END"
            + "   ELSE 0 END, -2147483647), 2147483647)::pg_catalog.int4"
            + " FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid"
            + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
            + " JOIN pg_catalog.pg_type t ON t.oid = a.atttypid"
            + " LEFT JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype"
            + " LEFT JOIN pg_catalog.pg_type et ON et.oid = t.typelem"
            + " WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped"
            + " AND n.nspname NOT IN ('pg_catalog', 'information_schema')")) {
      while (rs.next()) {
        m.computeIfAbsent(rs.getString(1), k -> new HashMap<>()).put(rs.getString(2), rs.getInt(3));
      }
    }
    return m;
  }

  private void append(String sql, byte[] b, int off, int len) throws SQLException {
    while (len > 0) {
      if (batchLength == batch.length) {
        flushBatch();
      }
      if (batchLength == 0 && open[current] == null) {
        applySettings(current);
        open[current] = connections.get(current).unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
      }
      int n = Math.min(len, batch.length - batchLength);
      System.arraycopy(b, off, batch, batchLength, n);
      batchLength += n;
      off += n;
      len -= n;
    }
  }

  private void flushBatch() throws SQLException {
    if (batchLength > 0) {
      CopyIn c = open[current];
      if (c == null) {
        throw new IllegalStateException("rows without an open COPY");
      }
      c.writeToCopy(batch, 0, batchLength);
      batchLength = 0;
    }
  }

  private void cancelOpen() {
    for (int i = 0; i < open.length; i++) {
      CopyIn c = open[i];
      open[i] = null;
      if (c != null && c.isActive()) {
        try {
          c.cancelCopy();
        } catch (SQLException ignored) {
          // the connection is closed by the caller; the failure that got us here is reported
        }
      }
    }
  }

  /** Reads one line (without its '\n') into {@code line}; false at the end of the script. */
  private boolean readLine(InputStream in, ByteArrayOutputStream line) throws IOException {
    while (true) {
      if (pos == limit && !fill(in)) {
        if (line.size() > 0) {
          return true; // a last line without '\n'
        }
        return false;
      }
      int nl = indexOf(buf, pos, limit, (byte) '\n');
      int end = nl < 0 ? limit : nl;
      if (line.size() + (end - pos) > MAX_STATEMENT) {
        throw new IntegrityException("the archive's data section holds a statement longer than " + MAX_STATEMENT
            + " bytes; restore it with jobs=1 and binaryCopy=false, which leaves the data to pg_restore");
      }
      line.write(buf, pos, end - pos);
      if (nl >= 0) {
        pos = nl + 1;
        return true;
      }
      pos = limit;
    }
  }

  /** Keeps the unread bytes and reads more after them; false if nothing more came (end of the script). */
  private boolean fill(InputStream in) throws IOException {
    if (eof) {
      return false;
    }
    if (pos > 0) {
      System.arraycopy(buf, pos, buf, 0, limit - pos);
      limit -= pos;
      pos = 0;
    }
    int n = in.read(buf, limit, buf.length - limit);
    if (n < 0) {
      eof = true;
      return false;
    }
    limit += n;
    return true;
  }

  private static int indexOf(byte[] b, int from, int to, byte v) {
    for (int i = from; i < to; i++) {
      if (b[i] == v) {
        return i;
      }
    }
    return -1;
  }

  private static boolean startsWith(byte[] l, byte[] prefix) {
    if (l.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (l[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static String preview(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "..." : s;
  }
}
