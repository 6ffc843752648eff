package io.backup4j.postgres;

import ch.randelshofer.fastdoubleparser.JavaDoubleParser;
import ch.randelshofer.fastdoubleparser.JavaFloatParser;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * Rewrites rows of a text-format {@code COPY} (as pg_dump writes them) into {@code COPY ... (FORMAT binary)} tuples,
 * for columns of the built-in types whose text form it reads exactly as the server would: the server then parses
 * no timestamps, numbers or escapes, and loads the same rows in about half the time (a 3 M-row table of bigint,
 * text, timestamptz and double precision columns: 5.5 s as text, 2.6-3.2 s as binary, server-side {@code COPY} from
 * a file).
 *
 * <p>It converts only the forms the server writes: ISO dates and timestamps of years 1-9999 (and infinity), plain
 * decimal numbers, {@code NaN}/{@code Infinity}, hex {@code bytea}, canonical uuids, {@code t}/{@code f}. A value
 * in any other form (a year BC, {@code bytea_output=escape}, a stray character) makes {@link #transcode} return
 * false for the whole run, which the caller then sends as text, unchanged, for the server to read (or reject) as it
 * always does. So a value is either converted to exactly the binary datum its text stands for, or not at all.
 * Text-like values (text, varchar, char, json, jsonb) are sent as their bytes after COPY's escapes are undone; the
 * server checks their encoding, length limits and syntax in its receive functions just as on text input. Arrays of
 * these types (but bytea) are read in the form the server writes them: braces, rectangular, lower bounds 1, elements
 * quoted where needed, NULL unquoted.
 *
 * <p>Not thread-safe: it keeps scratch buffers for arrays; one thread uses an instance.
 */
final class BinaryCopy {
  /** The binary COPY header: signature, flags, header extension length. */
  static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
  /** The binary COPY trailer: a field count of -1. */
  static final byte[] TRAILER = {(byte) 0xFF, (byte) 0xFF};

  private static final int BOOL = 16;
  private static final int BYTEA = 17;
  private static final int INT8 = 20;
  private static final int INT2 = 21;
  private static final int INT4 = 23;
  private static final int TEXT = 25;
  private static final int JSON = 114;
  private static final int FLOAT4 = 700;
  private static final int FLOAT8 = 701;
  private static final int BPCHAR = 1042;
  private static final int VARCHAR = 1043;
  private static final int DATE = 1082;
  private static final int TIMESTAMP = 1114;
  private static final int TIMESTAMPTZ = 1184;
  private static final int NUMERIC = 1700;
  private static final int UUID = 2950;
  private static final int JSONB = 3802;

  /** Days from 0000-03-01 (the civil-from-days epoch) to 2000-01-01, PostgreSQL's epoch. */
  private static final long PG_EPOCH_DAY = daysFromCivil(2000, 1, 1);
  private static final long USECS_PER_DAY = 86_400_000_000L;

  private final int[] types;

  private BinaryCopy(int[] types) {
    this.types = types;
  }

  /** A transcoder for columns of these type oids, in the COPY's column order; null if one of them is not handled. */
  static @Nullable BinaryCopy forTypes(int[] typeOids) {
    if (typeOids.length == 0) {
      return null; // rows of no columns: nothing to gain
    }
    for (int t : typeOids) {
      if (!handles(t)) {
        return null;
      }
    }
    return new BinaryCopy(typeOids.clone());
  }

  /**
   * Whether columns of this type are converted. A negative value stands for an array whose elements are of the
   * type {@code -typeOid} (the catalog query in {@link ParallelDataLoad} gives arrays of base types so).
   */
  static boolean handles(int typeOid) {
    if (typeOid < 0) {
      // elements of these types (not bytea: its escapes differ inside an array) are read from the array's text
      return -typeOid != BYTEA && handles(-typeOid);
    }
    return switch (typeOid) {
      case BOOL, BYTEA, INT8, INT2, INT4, TEXT, JSON, FLOAT4, FLOAT8, BPCHAR, VARCHAR, DATE, TIMESTAMP, TIMESTAMPTZ,
          NUMERIC, UUID, JSONB -> true;
      default -> false;
    };
  }

  /** A growable byte buffer for the tuples. */
  static final class Out {
    byte[] a = new byte[64 * 1024];
    int n;

    void ensure(int more) {
      if (a.length - n < more) {
        a = Arrays.copyOf(a, Math.max(a.length * 2, n + more));
      }
    }

    void putShort(int v) {
      ensure(2);
      a[n++] = (byte) (v >>> 8);
      a[n++] = (byte) v;
    }

    void putInt(int v) {
      ensure(4);
      setInt(n, v);
      n += 4;
    }

    void setInt(int at, int v) {
      a[at] = (byte) (v >>> 24);
      a[at + 1] = (byte) (v >>> 16);
      a[at + 2] = (byte) (v >>> 8);
      a[at + 3] = (byte) v;
    }

    void putLong(long v) {
      putInt((int) (v >>> 32));
      putInt((int) v);
    }

    void put(int b) {
      ensure(1);
      a[n++] = (byte) b;
    }
  }

  /**
   * Appends the tuples of the complete text rows in {@code b[off, off + len)} (each ended by {@code '\n'}) to
   * {@code out}. Returns false, with {@code out.n} back where it was, if a row or value is not in a form it
   * converts; nothing of the run is then converted.
   */
  boolean transcode(byte[] b, int off, int len, Out out) {
    int mark = out.n;
    int end = off + len;
    int p = off;
    try {
      while (p < end) {
        if (b[p] == '\\' && p + 1 < end && b[p + 1] == '.') {
          out.n = mark;
          return false; // an end-of-data marker, whole or corrupt, is the server's to read
        }
        out.putShort(types.length);
        for (int c = 0; c < types.length; c++) {
          int stop = c == types.length - 1 ? '\n' : '\t';
          int q = field(b, p, end, types[c], stop, out);
          if (q < 0) {
            out.n = mark;
            return false;
          }
          p = q + 1; // past the delimiter
        }
      }
      return true;
    } catch (NumberFormatException e) {
      out.n = mark;
      return false;
    }
  }

  /**
   * Converts the field starting at {@code p}, which must end with {@code stop}; returns the delimiter's index, or -1
   * if it cannot convert it.
   */
  private int field(byte[] b, int p, int end, int type, int stop, Out out) {
    // a NULL is exactly \N
    if (p + 2 < end && b[p] == '\\' && b[p + 1] == 'N' && b[p + 2] == stop) {
      out.putInt(-1);
      return p + 2;
    }
    if (type < 0) {
      return array(b, p, end, -type, stop, out);
    }
    return switch (type) {
      case TEXT, VARCHAR, BPCHAR, JSON -> text(b, p, end, stop, out, false);
      case JSONB -> text(b, p, end, stop, out, true);
      default -> {
        // the other types' text never needs an escape or holds a tab
        int q = p;
        while (q < end && b[q] != stop) {
          byte x = b[q];
          if (x == '\t' || x == '\n' || x == '\r' || (x == '\\' && type != BYTEA)) {
            yield -1;
          }
          q++;
        }
        if (q == end) {
          yield -1;
        }
        yield scalar(b, p, q, type, out) ? q : -1;
      }
    };
  }

  /** Undoes COPY's escapes into a length-prefixed datum (after a version byte 1 for jsonb). */
  private static int text(byte[] b, int p, int end, int stop, Out out, boolean jsonb) {
    int lenAt = out.n;
    out.putInt(0);
    if (jsonb) {
      out.put(1);
    }
    int start = out.n;
    while (p < end) {
      byte x = b[p];
      if (x == stop) {
        out.setInt(lenAt, out.n - start + (jsonb ? 1 : 0));
        return p;
      }
      if (x == '\t' || x == '\n' || x == '\r') {
        return -1; // a field too many or too few, or a raw carriage return: the server's message is the right one
      }
      if (x != '\\') {
        // copy a run of plain bytes
        int q = p + 1;
        while (q < end) {
          byte y = b[q];
          if (y == '\\' || y == '\t' || y == '\n' || y == '\r') {
            break;
          }
          q++;
        }
        out.ensure(q - p);
        System.arraycopy(b, p, out.a, out.n, q - p);
        out.n += q - p;
        p = q;
        continue;
      }
      if (p + 1 >= end) {
        return -1;
      }
      byte e = b[p + 1];
      p += 2;
      switch (e) {
        case 'b' -> out.put(8);
        case 'f' -> out.put(12);
        case 'n' -> out.put('\n');
        case 'r' -> out.put('\r');
        case 't' -> out.put('\t');
        case 'v' -> out.put(11);
        case 'x' -> {
          int v = p < end ? hex(b[p]) : -1;
          if (v < 0) {
            out.put('x'); // "\x" without a hex digit is an x
          } else {
            p++;
            int w = p < end ? hex(b[p]) : -1;
            if (w >= 0) {
              v = v * 16 + w;
              p++;
            }
            out.put(v);
          }
        }
        case '0', '1', '2', '3', '4', '5', '6', '7' -> {
          int v = e - '0';
          for (int k = 0; k < 2 && p < end && b[p] >= '0' && b[p] <= '7'; k++) {
            v = v * 8 + (b[p] - '0');
            p++;
          }
          out.put(v & 0xFF);
        }
        case '\n', '\r', '.' -> {
          return -1; // the server reads these as the end of data or an error; leave them to it
        }
        default -> out.put(e); // any other escaped byte stands for itself (this includes \\ and \.)
      }
    }
    return -1;
  }

  /** The most dimensions an array has (the server's MAXDIM). */
  private static final int MAX_DIMS = 6;
  private final Out unescaped = new Out();
  private final Out elements = new Out();
  private int[] elementAt = new int[64];
  private final int[] dims = new int[MAX_DIMS];
  private final int[] items = new int[MAX_DIMS];

  /**
   * An array field: COPY's escapes undone, then its text as the server writes it ({@code {1,NULL,3}},
   * {@code {{"a b",""},{"q\"x",NULL}}}: rectangular, lower bounds 1, elements quoted when needed) as the binary
   * form (dimensions, null flag, element type, dimension sizes and lower bounds, then the elements).
   */
  private int array(byte[] b, int p, int end, int elemType, int stop, Out out) {
    unescaped.n = 0;
    int q = text(b, p, end, stop, unescaped, false);
    if (q < 0) {
      return -1;
    }
    byte[] a = unescaped.a;
    int from = 4; // after the length text() wrote
    int to = unescaped.n;
    elements.n = 0;
    int count = 0;
    int ndim = 0;
    int depth = -1;
    boolean hasNull = false;
    boolean leaf = false; // whether the elements' depth is known (ndim fixed)
    int i = from;
    if (i >= to || a[i] != '{') {
      return -1; // also a "[lb:ub]=" prefix: lower bounds other than 1
    }
    Arrays.fill(dims, -1);
    while (i < to) {
      byte x = a[i];
      if (x == '{') {
        if (leaf && depth + 1 >= ndim) {
          return -1; // a sub-array where elements were
        }
        depth++;
        if (depth >= MAX_DIMS) {
          return -1;
        }
        items[depth] = 0;
        i++;
        if (i < to && a[i] == '}') {
          if (depth != 0 || i + 1 != to) {
            return -1; // only the whole array may be empty
          }
          i++;
          depth--;
          break;
        }
        continue;
      }
      if (depth < 0) {
        return -1; // something after the closing brace
      }
      // an element at this depth
      if (!leaf) {
        leaf = true;
        ndim = depth + 1;
      } else if (depth != ndim - 1) {
        return -1;
      }
      int start = elements.n;
      if (x == '"') {
        i++;
        while (true) {
          if (i >= to) {
            return -1;
          }
          byte y = a[i];
          if (y == '"') {
            i++;
            break;
          }
          if (y == '\\') {
            if (++i >= to) {
              return -1;
            }
            y = a[i];
          }
          elements.put(y);
          i++;
        }
        elementAt = grow(elementAt, count);
        elementAt[2 * count] = start;
        elementAt[2 * count + 1] = elements.n - start;
      } else {
        int e = i;
        while (e < to && a[e] != ',' && a[e] != '}') {
          byte y = a[e];
          if (y == '"' || y == '\\' || y == '{' || y == ' ' || y == '\t' || y == '\n' || y == '\r' || y == 11
              || y == 12) {
            return -1; // the server quotes such elements
          }
          e++;
        }
        if (e == i) {
          return -1;
        }
        elementAt = grow(elementAt, count);
        if (is(a, i, e, "NULL")) {
          elementAt[2 * count] = 0;
          elementAt[2 * count + 1] = -1;
          hasNull = true;
        } else {
          if ((e - i == 4) && (a[i] | 0x20) == 'n' && (a[i + 1] | 0x20) == 'u' && (a[i + 2] | 0x20) == 'l'
              && (a[i + 3] | 0x20) == 'l') {
            return -1; // another spelling of NULL: the server's to read
          }
          elements.ensure(e - i);
          System.arraycopy(a, i, elements.a, elements.n, e - i);
          elements.n += e - i;
          elementAt[2 * count] = start;
          elementAt[2 * count + 1] = e - i;
        }
        i = e;
      }
      count++;
      items[depth]++;
      // after an element: ',' or the closing brace(s)
      while (i < to && a[i] == '}') {
        if (dims[depth] < 0) {
          dims[depth] = items[depth];
        } else if (dims[depth] != items[depth]) {
          return -1; // not rectangular
        }
        depth--;
        i++;
        if (depth < 0) {
          break;
        }
        items[depth]++;
      }
      if (depth < 0) {
        break;
      }
      if (i >= to || a[i] != ',') {
        return -1;
      }
      i++;
      if (i < to && a[i] == '{' && depth + 1 >= ndim) {
        return -1;
      }
    }
    if (i != to || depth != -1) {
      return -1;
    }
    // the binary form
    int lenAt = out.n;
    out.putInt(0);
    int start = out.n;
    out.putInt(ndim);
    out.putInt(hasNull ? 1 : 0);
    out.putInt(elemType);
    for (int d = 0; d < ndim; d++) {
      out.putInt(dims[d]);
      out.putInt(1);
    }
    for (int k = 0; k < count; k++) {
      int off = elementAt[2 * k];
      int len = elementAt[2 * k + 1];
      if (len < 0) {
        out.putInt(-1);
      } else if (!element(elements.a, off, off + len, elemType, out)) {
        return -1;
      }
    }
    out.setInt(lenAt, out.n - start);
    return q;
  }

  private static int[] grow(int[] at, int count) {
    return 2 * count + 1 < at.length ? at : Arrays.copyOf(at, at.length * 2);
  }

  /** One array element's text (its quotes and escapes undone) as a length-prefixed binary datum. */
  private static boolean element(byte[] b, int p, int q, int type, Out out) {
    switch (type) {
      case TEXT, VARCHAR, BPCHAR, JSON, JSONB -> {
        boolean jsonb = type == JSONB;
        out.putInt(q - p + (jsonb ? 1 : 0));
        if (jsonb) {
          out.put(1);
        }
        out.ensure(q - p);
        System.arraycopy(b, p, out.a, out.n, q - p);
        out.n += q - p;
        return true;
      }
      default -> {
        for (int i = p; i < q; i++) {
          if (b[i] == '\\' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
            return false;
          }
        }
        return scalar(b, p, q, type, out);
      }
    }
  }

  private static boolean scalar(byte[] b, int p, int q, int type, Out out) {
    int n = q - p;
    switch (type) {
      case BOOL -> {
        if (n != 1 || (b[p] != 't' && b[p] != 'f')) {
          return false;
        }
        out.putInt(1);
        out.put(b[p] == 't' ? 1 : 0);
        return true;
      }
      case INT2 -> {
        long v = integer(b, p, q);
        if (v < Short.MIN_VALUE || v > Short.MAX_VALUE) {
          return false;
        }
        out.putInt(2);
        out.putShort((int) v);
        return true;
      }
      case INT4 -> {
        long v = integer(b, p, q);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
          return false;
        }
        out.putInt(4);
        out.putInt((int) v);
        return true;
      }
      case INT8 -> {
        out.putInt(8);
        out.putLong(integer(b, p, q));
        return true;
      }
      case FLOAT8 -> {
        Double special = special(b, p, q);
        double d;
        if (special != null) {
          d = special;
        } else {
          if (!decimal(b, p, q)) {
            return false;
          }
          // the same correctly rounded result as Double.parseDouble (~300 ns a value here), several times faster
          d = JavaDoubleParser.parseDouble(b, p, n);
          if (Double.isInfinite(d) || (d == 0 && !zeroText(b, p, q))) {
            return false; // out of range: the server's error, not a silent infinity or zero
          }
        }
        out.putInt(8);
        out.putLong(Double.doubleToRawLongBits(d));
        return true;
      }
      case FLOAT4 -> {
        Double special = special(b, p, q);
        float f;
        if (special != null) {
          f = special.floatValue();
        } else {
          if (!decimal(b, p, q)) {
            return false;
          }
          f = JavaFloatParser.parseFloat(b, p, n);
          if (Float.isInfinite(f) || (f == 0 && !zeroText(b, p, q))) {
            return false;
          }
        }
        out.putInt(4);
        out.putInt(Float.floatToRawIntBits(f));
        return true;
      }
      case NUMERIC -> {
        return numeric(b, p, q, out);
      }
      case UUID -> {
        return uuid(b, p, q, out);
      }
      case BYTEA -> {
        // hex output, COPY-escaped: \\x followed by pairs of hex digits
        if (n < 3 || (n & 1) == 0 || b[p] != '\\' || b[p + 1] != '\\' || b[p + 2] != 'x') {
          return false;
        }
        int bytes = (n - 3) / 2;
        out.putInt(bytes);
        out.ensure(bytes);
        for (int i = p + 3; i < q; i += 2) {
          int hi = hex(b[i]);
          int lo = hex(b[i + 1]);
          if (hi < 0 || lo < 0) {
            return false;
          }
          out.a[out.n++] = (byte) (hi * 16 + lo);
        }
        return true;
      }
      case DATE -> {
        int v;
        if (is(b, p, q, "infinity")) {
          v = Integer.MAX_VALUE;
        } else if (is(b, p, q, "-infinity")) {
          v = Integer.MIN_VALUE;
        } else {
          long d = n == 10 ? ymd(b, p) : Long.MIN_VALUE;
          if (d == Long.MIN_VALUE) {
            return false;
          }
          v = (int) d;
        }
        out.putInt(4);
        out.putInt(v);
        return true;
      }
      case TIMESTAMP, TIMESTAMPTZ -> {
        long v;
        if (is(b, p, q, "infinity")) {
          v = Long.MAX_VALUE;
        } else if (is(b, p, q, "-infinity")) {
          v = Long.MIN_VALUE;
        } else {
          v = timestamp(b, p, q, type == TIMESTAMPTZ);
          if (v == Long.MIN_VALUE) {
            return false;
          }
        }
        out.putInt(8);
        out.putLong(v);
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  /** A decimal integer (an optional '-' and 1-19 digits); throws NumberFormatException otherwise. */
  private static long integer(byte[] b, int p, int q) {
    boolean neg = p < q && b[p] == '-';
    int i = neg ? p + 1 : p;
    if (i == q || q - i > 19) {
      throw new NumberFormatException();
    }
    long v = 0;
    for (; i < q; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) {
        throw new NumberFormatException();
      }
      v = v * 10 - d; // accumulated negative: Long.MIN_VALUE fits
      if (v > 0) {
        throw new NumberFormatException(); // overflowed
      }
    }
    if (!neg) {
      if (v == Long.MIN_VALUE) {
        throw new NumberFormatException();
      }
      v = -v;
    }
    return v;
  }

  /** NaN, Infinity or -Infinity as the server writes them for floats and numerics, else null. */
  private static @Nullable Double special(byte[] b, int p, int q) {
    if (is(b, p, q, "NaN")) {
      return Double.NaN;
    }
    if (is(b, p, q, "Infinity")) {
      return Double.POSITIVE_INFINITY;
    }
    if (is(b, p, q, "-Infinity")) {
      return Double.NEGATIVE_INFINITY;
    }
    return null;
  }

  /**
   * Whether the text is a decimal float as the server writes it (digits, '.', 'e', signs); the Java parsers take
   * more (hex floats, a trailing 'd'), which must not slip through.
   */
  private static boolean decimal(byte[] b, int p, int q) {
    boolean digit = false;
    for (int i = p; i < q; i++) {
      byte x = b[i];
      if (x >= '0' && x <= '9') {
        digit = true;
      } else if (x != '.' && x != 'e' && x != '-' && x != '+') {
        return false;
      }
    }
    return digit;
  }

  /** Whether a decimal text has no nonzero digit before its exponent (the server underflows others to an error). */
  private static boolean zeroText(byte[] b, int p, int q) {
    for (int i = p; i < q; i++) {
      byte c = b[i];
      if (c == 'e' || c == 'E') {
        break;
      }
      if (c >= '1' && c <= '9') {
        return false;
      }
    }
    return true;
  }

  /**
   * A numeric as the server writes it: an optional '-', digits, optionally '.' and digits (NaN, Infinity and
   * -Infinity too), as the binary form: digit count, weight, sign, display scale, then base-10000 digits.
   */
  private static boolean numeric(byte[] b, int p, int q, Out out) {
    Double special = special(b, p, q);
    if (special != null) {
      int sign = special.isNaN() ? 0xC000 : special > 0 ? 0xD000 : 0xF000;
      out.putInt(8);
      out.putShort(0);
      out.putShort(0);
      out.putShort(sign);
      out.putShort(0);
      return true;
    }
    boolean neg = p < q && b[p] == '-';
    int i = neg ? p + 1 : p;
    int dot = -1;
    for (int k = i; k < q; k++) {
      byte x = b[k];
      if (x == '.') {
        if (dot >= 0) {
          return false;
        }
        dot = k;
      } else if (x < '0' || x > '9') {
        return false;
      }
    }
    int intEnd = dot < 0 ? q : dot;
    int intDigits = intEnd - i;
    int fracDigits = dot < 0 ? 0 : q - dot - 1;
    if (intDigits == 0 || (dot >= 0 && fracDigits == 0) || fracDigits > 0x3FFF) {
      return false;
    }
    int intGroups = (intDigits + 3) / 4;
    int fracGroups = (fracDigits + 3) / 4;
    int ndigits = intGroups + fracGroups;
    if (ndigits > 0x7FFF || intGroups > 0x7FFF) {
      return false;
    }
    out.putInt(8 + 2 * ndigits);
    out.putShort(ndigits);
    out.putShort(intGroups - 1); // weight of the first group; leading zero groups are stripped by the server
    out.putShort(neg ? 0x4000 : 0);
    out.putShort(fracDigits);
    // the integer digits in groups of four, aligned at the decimal point
    int first = intDigits - (intGroups - 1) * 4;
    int k = i;
    for (int g = 0; g < intGroups; g++) {
      int width = g == 0 ? first : 4;
      int v = 0;
      for (int w = 0; w < width; w++) {
        v = v * 10 + (b[k++] - '0');
      }
      out.putShort(v);
    }
    k = dot + 1;
    for (int g = 0; g < fracGroups; g++) {
      int v = 0;
      for (int w = 0; w < 4; w++) {
        v = v * 10 + (k < q ? b[k++] - '0' : 0);
      }
      out.putShort(v);
    }
    return true;
  }

  private static boolean uuid(byte[] b, int p, int q, Out out) {
    if (q - p != 36 || b[p + 8] != '-' || b[p + 13] != '-' || b[p + 18] != '-' || b[p + 23] != '-') {
      return false;
    }
    out.putInt(16);
    out.ensure(16);
    int i = p;
    for (int k = 0; k < 16; k++) {
      if (b[i] == '-') {
        i++;
      }
      int hi = hex(b[i]);
      int lo = hex(b[i + 1]);
      if (hi < 0 || lo < 0) {
        return false;
      }
      out.a[out.n++] = (byte) (hi * 16 + lo);
      i += 2;
    }
    return true;
  }

  /** "YYYY-MM-DD" at p, a valid date of years 1-9999, as days since 2000-01-01; Long.MIN_VALUE if not. */
  private static long ymd(byte[] b, int p) {
    int y = digits(b, p, 4);
    int m = digits(b, p + 5, 2);
    int d = digits(b, p + 8, 2);
    if (y < 1 || m < 1 || m > 12 || d < 1 || b[p + 4] != '-' || b[p + 7] != '-' || d > daysInMonth(y, m)) {
      return Long.MIN_VALUE;
    }
    return daysFromCivil(y, m, d) - PG_EPOCH_DAY;
  }

  /**
   * "YYYY-MM-DD HH:MM:SS[.ffffff]" with, for timestamptz, an offset "+HH[:MM[:SS]]" (or '-'), as microseconds since
   * 2000-01-01 00:00 (UTC for timestamptz); Long.MIN_VALUE if not in that form.
   */
  private static long timestamp(byte[] b, int p, int q, boolean zoned) {
    if (q - p < 19 || b[p + 10] != ' ' || b[p + 13] != ':' || b[p + 16] != ':') {
      return Long.MIN_VALUE;
    }
    long days = ymd(b, p);
    int h = digits(b, p + 11, 2);
    int mi = digits(b, p + 14, 2);
    int s = digits(b, p + 17, 2);
    if (days == Long.MIN_VALUE || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) {
      return Long.MIN_VALUE;
    }
    int i = p + 19;
    long frac = 0;
    if (i < q && b[i] == '.') {
      i++;
      int n = 0;
      while (i < q && b[i] >= '0' && b[i] <= '9') {
        if (++n > 6) {
          return Long.MIN_VALUE;
        }
        frac = frac * 10 + (b[i] - '0');
        i++;
      }
      if (n == 0) {
        return Long.MIN_VALUE;
      }
      for (; n < 6; n++) {
        frac *= 10;
      }
    }
    long offset = 0;
    if (zoned) {
      if (i >= q || (b[i] != '+' && b[i] != '-')) {
        return Long.MIN_VALUE;
      }
      boolean west = b[i] == '-';
      int oh = i + 3 <= q ? digits(b, i + 1, 2) : -1;
      i += 3;
      int om = 0;
      int os = 0;
      if (i < q) {
        om = i + 3 <= q && b[i] == ':' ? digits(b, i + 1, 2) : -1;
        i += 3;
        if (i < q) {
          os = i + 3 <= q && b[i] == ':' ? digits(b, i + 1, 2) : -1;
          i += 3;
        }
      }
      if (oh < 0 || oh > 15 || om < 0 || om > 59 || os < 0 || os > 59) {
        return Long.MIN_VALUE;
      }
      offset = (oh * 3600L + om * 60L + os) * 1_000_000L;
      if (west) {
        offset = -offset;
      }
    }
    if (i != q) {
      return Long.MIN_VALUE;
    }
    // local time = UTC + offset
    return days * USECS_PER_DAY + ((h * 60L + mi) * 60L + s) * 1_000_000L + frac - offset;
  }

  /** {@code n} decimal digits at p as a number, -1 if one is not a digit. */
  private static int digits(byte[] b, int p, int n) {
    int v = 0;
    for (int i = p; i < p + n; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      v = v * 10 + d;
    }
    return v;
  }

  private static int daysInMonth(int y, int m) {
    return switch (m) {
      case 2 -> (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 29 : 28;
      case 4, 6, 9, 11 -> 30;
      default -> 31;
    };
  }

  /** Days since 0000-03-01 of the proleptic Gregorian calendar (which PostgreSQL uses), after H. Hinnant. */
  private static long daysFromCivil(int y, int m, int d) {
    y -= m <= 2 ? 1 : 0;
    long era = Math.floorDiv(y, 400);
    long yoe = y - era * 400;
    long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe;
  }

  private static boolean is(byte[] b, int p, int q, String s) {
    if (q - p != s.length()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (b[p + i] != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static int hex(byte x) {
    if (x >= '0' && x <= '9') {
      return x - '0';
    }
    if (x >= 'a' && x <= 'f') {
      return x - 'a' + 10;
    }
    if (x >= 'A' && x <= 'F') {
      return x - 'A' + 10;
    }
    return -1;
  }
}
