package io.backup4j.postgres;

import io.backup4j.api.IntegrityException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Reads a pg_dump custom-format archive as pg_dump writes it to a pipe (table of contents first, then the data
 * blocks in its order, no offsets), and writes out its data section as the SQL script {@code pg_restore
 * --section=data --file=-} would: the session settings, then for each table the {@code COPY ... FROM stdin;} line,
 * its rows and {@code \.}, and each sequence's {@code setval}. {@link ParallelDataLoad} loads that script; reading
 * the archive here spares a pg_restore process and two pipe copies of every byte.
 *
 * <p>Only what is certain is taken: archive versions 1.12 to 1.16 (pg_dump 11 to 18), no compression (backup4j dumps
 * with {@code --compress=0} and compresses the part itself), and a data section of only {@code TABLE DATA} and
 * {@code SEQUENCE SET} entries (no large objects). {@link #readHead} throws {@link Unsupported} for anything else,
 * and the caller lets pg_restore write the script instead. A data block that is not the one the table of contents
 * announces next, a chunk cut short, or bytes after the last block fail the load with an {@link IntegrityException}.
 */
final class CustomArchive {
  private static final int SECTION_DATA = 3;
  private static final int BLK_DATA = 1;
  private static final int K_OFFSET_NO_DATA = 3;
  private static final int MAX_STRING = 256 << 20;

  /** The archive is readable, but not by this reader: let pg_restore do it. */
  static final class Unsupported extends Exception {
    private static final long serialVersionUID = 1L;

    Unsupported(String message) {
      super(message, null, false, false);
    }
  }

  /** One table-of-contents entry of the data section, and the settings entries. */
  record Entry(int dumpId, String desc, int section, @Nullable String defn, @Nullable String copyStmt,
      boolean hasData) {}

  /** The table of contents, and the size of the archive's integers. */
  record Head(int version, int intSize, List<Entry> entries) {}

  private final InputStream in;
  private int intSize;
  private final byte[] intBuf = new byte[9];
  private int offSize;

  private CustomArchive(InputStream in) {
    this.in = in;
  }

  /**
   * Reads the archive's header and table of contents from {@code in}, leaving it at the first data block.
   *
   * @throws Unsupported if this reader does not take the archive (pg_restore should)
   */
  static Head readHead(InputStream in) throws IOException, Unsupported {
    return new CustomArchive(in).head();
  }

  /**
   * The data section's SQL script, read from {@code in} positioned after {@link #readHead}; the script ends only
   * once {@code in} ended (so a verifying stream has checked its end).
   */
  static InputStream dataScript(Head head, InputStream in) {
    CustomArchive a = new CustomArchive(in);
    a.intSize = head.intSize();
    return a.new Script(head);
  }

  private Head head() throws IOException, Unsupported {
    byte[] magic = readN(5);
    if (!new String(magic, StandardCharsets.US_ASCII).equals("PGDMP")) {
      throw new Unsupported("not a pg_dump custom-format archive");
    }
    int vmaj = readByte();
    int vmin = readByte();
    int vrev = readByte();
    int version = (vmaj << 16) | (vmin << 8) | vrev;
    if (vmaj != 1 || vmin < 12 || vmin > 16) {
      throw new Unsupported("archive version " + vmaj + "." + vmin + "." + vrev);
    }
    intSize = readByte();
    offSize = readByte();
    if (intSize < 1 || intSize > 8 || offSize < 1 || offSize > 8) {
      throw new Unsupported("integer sizes " + intSize + "/" + offSize);
    }
    int format = readByte();
    if (format != 1) {
      throw new Unsupported("archive format " + format + " is not custom");
    }
    long compression = vmin >= 15 ? readByte() : readInt();
    if (compression != 0) {
      throw new Unsupported("compressed archive data");
    }
    for (int i = 0; i < 7; i++) {
      readInt(); // the dump's time
    }
    readStr(); // database name
    readStr(); // server version
    readStr(); // pg_dump version
    long count = readInt();
    if (count < 0 || count > 10_000_000) {
      throw new IntegrityException("the archive's table of contents claims " + count + " entries");
    }
    List<Entry> entries = new ArrayList<>();
    for (long i = 0; i < count; i++) {
      int dumpId = (int) readInt();
      readInt(); // had dumper
      readStr(); // table oid
      readStr(); // oid
      readStr(); // tag
      String desc = nonNull(readStr(), "an entry's type");
      int section = (int) readInt();
      String defn = readStr();
      readStr(); // drop statement
      String copyStmt = readStr();
      readStr(); // namespace
      readStr(); // tablespace
      if (vmin >= 14) {
        readStr(); // table access method
      }
      if (vmin >= 16) {
        readInt(); // relkind
      }
      readStr(); // owner
      if ("true".equals(readStr())) {
        throw new Unsupported("a table WITH OIDS");
      }
      while (readStr() != null) {
        // dependencies
      }
      int offsetFlag = readByte();
      readN(offSize);
      boolean hasData = offsetFlag != K_OFFSET_NO_DATA;
      if (section == SECTION_DATA) {
        if (desc.equals("TABLE DATA")) {
          if (hasData && (copyStmt == null || !copyStmt.startsWith("COPY ") || !copyStmt.endsWith(" FROM stdin;\n"))) {
            throw new Unsupported("table data without a COPY statement (a dump made with --inserts)");
          }
        } else if (desc.equals("SEQUENCE SET")) {
          if (defn == null || defn.indexOf('\n') != defn.length() - 1) {
            throw new Unsupported("a sequence value over several lines");
          }
        } else {
          throw new Unsupported("data of type " + desc); // large objects and whatever comes later
        }
        entries.add(new Entry(dumpId, desc, section, defn, copyStmt, hasData));
      } else if (desc.equals("ENCODING") || desc.equals("STDSTRINGS") || desc.equals("SEARCHPATH")) {
        entries.add(new Entry(dumpId, desc, section, defn, null, false));
      }
    }
    return new Head(version, intSize, entries);
  }

  /** The size {@link #reblocked} joins a table's data blocks into. */
  static final int REBLOCK_SIZE = 64 * 1024;

  /**
   * The archive read from {@code in}, with each table's data blocks joined into blocks of up to {@link
   * #REBLOCK_SIZE} bytes, for a pg_restore that reads it from a pipe. pg_dump writes one block per row (a row of a
   * few hundred bytes, with its own length in front), and pg_restore sends each block to the server as one CopyData
   * message, which the server takes apart on its own: 3 M rows restored by pg_restore 15 from a file took 7.9 s in
   * per-row blocks, 7.5 s in 64 KiB blocks. Block boundaries carry no meaning in the archive (a row may span two
   * blocks, as pg_dump's compressed archives have it), so the bytes pg_restore executes are the same.
   *
   * <p>The header and table of contents pass unchanged. An archive {@link #readHead} does not take (compressed, large
   * objects, versions it does not know, see the class comment) passes whole and unchanged. Nothing is read before
   * the first read; memory is the table of contents and two buffers.
   */
  static InputStream reblocked(InputStream in) {
    return new Reblocked(in);
  }

  /** See {@link #reblocked}. */
  private static final class Reblocked extends BulkInputStream {
    private final InputStream src;
    private int intSize;
    private boolean started;
    private boolean passThrough;
    private boolean inMember;
    private long pendingLen = -1; // a block length read that did not fit the block being joined
    private long rawLeft; // bytes of a block larger than REBLOCK_SIZE still to copy through
    // what was read from src and not handed on yet; the head is parsed from it too, so each byte is copied once here
    private final byte[] ib = new byte[128 * 1024];
    private int ip;
    private int il;
    private final byte[] ob = new byte[REBLOCK_SIZE + 64];
    private byte[] cur = ob;
    private int cpos;
    private int clim;

    Reblocked(InputStream in) {
      this.src = in;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (cpos == clim) {
        if (!fill()) {
          return -1;
        }
      }
      int n = Math.min(len, clim - cpos);
      System.arraycopy(cur, cpos, b, off, n);
      cpos += n;
      return n;
    }

    @Override
    public void close() throws IOException {
      src.close();
    }

    private boolean fill() throws IOException {
      cur = ob;
      cpos = 0;
      clim = 0;
      if (!started) {
        started = true;
        readHeadRecorded();
        return true;
      }
      if (passThrough) {
        if (ip < il) { // read past the point where the head was found not taken
          cur = ib;
          cpos = ip;
          clim = il;
          ip = il;
          return true;
        }
        int n = src.read(ob, 0, ob.length);
        if (n < 0) {
          return false;
        }
        clim = n;
        return true;
      }
      if (rawLeft > 0) {
        int n = (int) Math.min(rawLeft, ob.length);
        take(ob, 0, n);
        rawLeft -= n;
        clim = n;
        return true;
      }
      if (!inMember) {
        if (!have(1)) {
          return false; // the part's end, which its stream verified before saying so
        }
        int type = ib[ip++] & 0xff;
        if (type != BLK_DATA) {
          throw new IntegrityException("the archive holds a data block of type " + type + " where its table of"
              + " contents announces table data");
        }
        long id = takeInt();
        ob[clim++] = (byte) type;
        clim = putInt(clim, id);
        inMember = true;
      }
      int hdr = clim;
      int data = hdr + 1 + intSize;
      int end = data;
      while (true) {
        long len = pendingLen >= 0 ? pendingLen : takeInt();
        pendingLen = -1;
        if (len < 0 || len > Integer.MAX_VALUE) {
          throw new IntegrityException("the archive holds a data block of " + len + " bytes");
        }
        if (len == 0 || end - data + len > REBLOCK_SIZE) {
          if (end > data) {
            putInt(hdr, end - data); // the joined block
            hdr = end;
          }
          if (len == 0) {
            clim = putInt(hdr, 0);
            inMember = false;
          } else if (end > data) {
            clim = end;
            pendingLen = len; // starts the next block
          } else {
            clim = putInt(hdr, len); // a block larger than REBLOCK_SIZE: its length now, its bytes copied through
            rawLeft = len;
          }
          return true;
        }
        take(ob, end, (int) len);
        end += (int) len;
      }
    }

    /** Reads the header and table of contents, to hand them on unchanged; an archive not taken passes whole. */
    private void readHeadRecorded() throws IOException {
      java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
      CustomArchive reader = new CustomArchive(new BulkInputStream() {
        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          if (len == 0) {
            return 0;
          }
          if (!have(1)) {
            return -1;
          }
          int n = Math.min(len, il - ip);
          System.arraycopy(ib, ip, b, off, n);
          head.write(ib, ip, n);
          ip += n;
          return n;
        }
      });
      try {
        reader.head();
        intSize = reader.intSize;
      } catch (Unsupported notTaken) {
        passThrough = true;
      }
      cur = head.toByteArray();
      clim = cur.length;
    }

    /** Makes {@code n} bytes available in {@code ib} from {@code ip}; false if the input ends before them. */
    private boolean have(int n) throws IOException {
      if (il - ip >= n) {
        return true;
      }
      System.arraycopy(ib, ip, ib, 0, il - ip);
      il -= ip;
      ip = 0;
      while (il < n) {
        int r = src.read(ib, il, ib.length - il);
        if (r < 0) {
          return false;
        }
        il += r;
      }
      return true;
    }

    private long takeInt() throws IOException {
      if (!have(1 + intSize)) {
        throw new IntegrityException("the archive ends inside its data section: it is cut short");
      }
      long v = decodeInt(ib, ip, intSize);
      ip += 1 + intSize;
      return v;
    }

    private void take(byte[] dst, int off, int n) throws IOException {
      int c = Math.min(n, il - ip);
      System.arraycopy(ib, ip, dst, off, c);
      ip += c;
      if (n > c && src.readNBytes(dst, off + c, n - c) != n - c) {
        throw new IntegrityException("the archive ends inside a data block: it is cut short");
      }
    }

    /** Writes pg_dump's integer at {@code at}; returns the position after it. */
    private int putInt(int at, long v) {
      ob[at] = (byte) (v < 0 ? 1 : 0);
      long a = Math.abs(v);
      for (int i = 0; i < intSize; i++) {
        ob[at + 1 + i] = (byte) (a >>> (8 * i));
      }
      return at + 1 + intSize;
    }
  }

  /** pg_dump's integer at {@code at}: a sign byte, then {@code intSize} bytes, least significant first. */
  private static long decodeInt(byte[] b, int at, int intSize) {
    long v = 0;
    for (int i = 0; i < intSize; i++) {
      v |= (long) (b[at + 1 + i] & 0xff) << (8 * i);
    }
    return b[at] != 0 ? -v : v;
  }

  private static String nonNull(@Nullable String s, String what) {
    if (s == null) {
      throw new IntegrityException("the archive's table of contents lacks " + what);
    }
    return s;
  }

  /** The script; reads the data blocks as it goes. */
  private final class Script extends BulkInputStream {
    private final Head head;
    private int next; // index of the next entry to write out
    private byte[] pending = new byte[0];
    private int pendingPos;
    private long chunkLeft; // bytes of the current data chunk not read yet
    private boolean inData;
    private final byte[] tail = new byte[16]; // the last bytes of the current table's data
    private long dataBytes;
    private boolean done;

    Script(Head head) {
      this.head = head;
      pending = preamble(head).getBytes(StandardCharsets.UTF_8);
    }

    /** Fills as much of {@code b} as the script has, across rows and tables (pg_dump writes a chunk per row). */
    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int total = 0;
      while (total < len) {
        int n = readSome(b, off + total, len - total);
        if (n < 0) {
          break;
        }
        total += n;
      }
      return total == 0 && len > 0 ? -1 : total;
    }

    private int readSome(byte[] b, int off, int len) throws IOException {
      while (true) {
        if (pendingPos < pending.length) {
          int n = Math.min(len, pending.length - pendingPos);
          System.arraycopy(pending, pendingPos, b, off, n);
          pendingPos += n;
          return n;
        }
        if (inData) {
          if (chunkLeft == 0) {
            long size = readInt();
            if (size < 0) {
              throw new IntegrityException("the archive holds a data chunk of negative size " + size);
            }
            if (size == 0) {
              inData = false;
              // pg_dump up to 17 writes the end-of-data line into the archive; where it does not, it is added
              set(endsWithEndOfData() ? "\n" : "\\.\n\n");
              continue;
            }
            chunkLeft = size;
          }
          int n = in.read(b, off, (int) Math.min(len, chunkLeft));
          if (n < 0) {
            throw new IntegrityException("the archive ends inside a data chunk: it is cut short");
          }
          chunkLeft -= n;
          for (int i = Math.max(off, off + n - tail.length); i < off + n; i++) {
            System.arraycopy(tail, 1, tail, 0, tail.length - 1);
            tail[tail.length - 1] = b[i];
          }
          dataBytes += n;
          return n;
        }
        if (done) {
          return -1;
        }
        if (next == head.entries().size()) {
          if (in.read() >= 0) {
            throw new IntegrityException("the archive holds more after its last data block; restore it with jobs=1 and binaryCopy=false, which leaves the data to pg_restore");
          }
          done = true;
          return -1;
        }
        Entry e = head.entries().get(next++);
        if (e.section() != SECTION_DATA) {
          continue;
        }
        if (e.desc().equals("SEQUENCE SET")) {
          set(e.defn());
        } else if (e.hasData()) {
          int type = readByte();
          int id = (int) readInt();
          if (type != BLK_DATA || id != e.dumpId()) {
            throw new IntegrityException("the archive's next data block (type " + type + ", entry " + id
                + ") is not the one its table of contents announces (entry " + e.dumpId() + "); restore it with"
                + " jobs=1");
          }
          set(e.copyStmt());
          inData = true;
          dataBytes = 0;
          java.util.Arrays.fill(tail, (byte) 0);
        }
      }
    }

    /** Whether the table's data ends with the line {@code \.} at a line's start, then maybe empty lines. */
    private boolean endsWithEndOfData() {
      int end = tail.length;
      long len = dataBytes;
      while (len >= 2 && end >= 2 && tail[end - 1] == '\n' && tail[end - 2] == '\n') {
        end--; // an empty line after it
        len--;
      }
      if (end < 4 || len < 3 || tail[end - 1] != '\n' || tail[end - 2] != '.' || tail[end - 3] != '\\') {
        return false;
      }
      return len == 3 || tail[end - 4] == '\n';
    }

    private void set(@Nullable String s) {
      pending = s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
      pendingPos = 0;
    }
  }

  /** What pg_restore sets before the data section (its fixed output state), from the archive's own entries. */
  private static String preamble(Head head) {
    StringBuilder sb = new StringBuilder();
    sb.append("SET statement_timeout = 0;\n");
    sb.append("SET lock_timeout = 0;\n");
    sb.append("SET idle_in_transaction_session_timeout = 0;\n");
    boolean stdStrings = true;
    for (String kind : List.of("ENCODING", "STDSTRINGS", "SEARCHPATH")) {
      for (Entry e : head.entries()) {
        if (e.desc().equals(kind) && e.defn() != null) {
          sb.append(e.defn().strip()).append('\n');
          if (kind.equals("STDSTRINGS") && e.defn().contains("off")) {
            stdStrings = false;
          }
        }
      }
    }
    sb.append("SET check_function_bodies = false;\n");
    sb.append("SET xmloption = content;\n");
    sb.append("SET client_min_messages = warning;\n");
    if (!stdStrings) {
      sb.append("SET escape_string_warning = off;\n");
    }
    sb.append("SET row_security = off;\n\n");
    return sb.toString();
  }

  private int readByte() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException("the archive ends early");
    }
    return b;
  }

  private byte[] readN(int n) throws IOException {
    byte[] b = in.readNBytes(n);
    if (b.length != n) {
      throw new EOFException("the archive ends early");
    }
    return b;
  }

  /** pg_dump's integer: a sign byte, then {@code intSize} bytes, least significant first. */
  private long readInt() throws IOException {
    // one read for the whole integer: one per row in the data section
    if (in.readNBytes(intBuf, 0, 1 + intSize) != 1 + intSize) {
      throw new EOFException("the archive ends early");
    }
    return decodeInt(intBuf, 0, intSize);
  }

  private @Nullable String readStr() throws IOException {
    long len = readInt();
    if (len < 0) {
      return null;
    }
    if (len > MAX_STRING) {
      throw new IntegrityException("the archive holds a string of " + len + " bytes in its table of contents");
    }
    return new String(readN((int) len), StandardCharsets.UTF_8);
  }
}
