package io.backup4j.redis;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.BackupSession;
import io.backup4j.api.BackupSource;
import io.backup4j.api.CancelledException;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.PartWriter;
import io.backup4j.api.SourceException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one RDB snapshot of a Redis server and writes it as the single part {@value #PART}.
 *
 * <p>In {@link Mode#REPLICATION} mode the snapshot arrives over the network as it does for a new replica (see
 * {@link #replicate}); in {@link Mode#BGSAVE} mode the server writes it to its own disk and it is read from a local
 * path. Either way the bytes are checked (magic, EOF opcode, CRC-64) before the part is committed, and the
 * manifest records the RDB version, the Redis version, {@code used_memory} and the keys per database.
 */
final class RedisSource implements BackupSource {
  /** The name of the one part a Redis backup has. */
  static final String PART = "dump.rdb";

  /** How the snapshot is obtained. */
  enum Mode {
    /** The replication handshake ({@code PSYNC ? -1}, falling back to {@code SYNC}): needs no access to the disk. */
    REPLICATION,
    /** {@code BGSAVE}, then read the file the server wrote from {@code rdbPath} (the server's disk). */
    BGSAVE
  }

  private static final Logger LOG = LoggerFactory.getLogger(RedisSource.class);
  private static final int CHUNK = 1 << 16;

  private final RedisEndpoint endpoint;
  private final Mode mode;
  private final @Nullable Path rdbPath;
  private final long memoryBuffer;
  private final long spoolLimit;
  private final Duration bgsaveTimeout;

  RedisSource(RedisEndpoint endpoint, Mode mode, @Nullable Path rdbPath, long memoryBuffer, long spoolLimit,
      Duration bgsaveTimeout) {
    this.endpoint = Objects.requireNonNull(endpoint, "endpoint is null");
    this.mode = Objects.requireNonNull(mode, "mode is null");
    this.rdbPath = rdbPath;
    this.memoryBuffer = memoryBuffer;
    this.spoolLimit = spoolLimit;
    this.bgsaveTimeout = bgsaveTimeout;
    if (mode == Mode.BGSAVE && rdbPath == null) {
      throw new ConfigurationException("mode=bgsave needs option rdbPath, the path of the server's RDB file as this"
          + " process sees it (CONFIG GET dir + dbfilename, e.g. rdbPath=/var/lib/redis/dump.rdb)");
    }
  }

  @Override
  public String kind() {
    return RedisSourceProvider.NAME;
  }

  @Override
  public String identity() {
    return endpoint.describe();
  }

  @Override
  public void backup(BackupSession session) throws IOException {
    session.cancellation().throwIfCancelled();
    if (mode == Mode.REPLICATION) {
      replicate(session);
    } else {
      bgsave(session);
    }
  }

  /**
   * The replication handshake a replica performs, reduced to what a one-shot snapshot needs:
   *
   * <pre>
   * AUTH [user] password             (by RespConnection.open)
   * PING                             +PONG
   * INFO server / keyspace / memory  (recorded in the manifest)
   * REPLCONF listening-port &lt;port&gt;  +OK
   * REPLCONF capa eof capa psync2    +OK   (eof: we accept the diskless form)
   * REPLCONF rdb-only 1              +OK on Redis 7+, -ERR before (ignored): no command stream after the RDB
   * PSYNC ? -1                       +FULLRESYNC &lt;replid&gt; &lt;offset&gt;   (or -ERR: then SYNC)
   * "\n" ...                         keep-alives while the master forks and writes
   * $&lt;len&gt;\r\n &lt;len bytes&gt;           disk-backed transfer, or
   * $EOF:&lt;40-byte mark&gt;\r\n ... mark  diskless transfer, ended by the mark
   * </pre>
   *
   * <p>The connection is closed as soon as the payload ended; the master then forgets the "replica".
   */
  private void replicate(BackupSession session) throws IOException {
    RespConnection c = RespConnection.open(endpoint);
    Runnable closeOnCancel = c::close;
    session.cancellation().onCancel(closeOnCancel);
    try {
      c.callOk("PING");
      recordServerFacts(c, session);
      handshake(c, "REPLCONF", "listening-port", Integer.toString(c.localPort()));
      handshake(c, "REPLCONF", "capa", "eof", "capa", "psync2");
      Object rdbOnly = c.call("REPLCONF", "rdb-only", "1");
      LOG.debug("REPLCONF rdb-only 1 -> {}", rdbOnly);
      String header = requestSnapshot(c);
      session.putMetadata("redis.mode", "replication");
      session.putMetadata("redis.transfer", header.startsWith("$EOF:") ? "diskless" : "disk");
      receive(session, c, header);
    } catch (SocketTimeoutException e) {
      throw new SourceException("Redis at " + endpoint.describe() + " sent nothing for "
          + endpoint.timeout.toSeconds() + " s during the replication handshake; raise option timeoutSeconds", e);
    } catch (IOException | RuntimeException e) {
      // a cancellation closes the socket under a blocked read: report the cancellation, not the broken socket
      session.cancellation().throwIfCancelled();
      throw e;
    } finally {
      c.close();
    }
  }

  private void handshake(RespConnection c, Object... args) throws IOException {
    Object reply = c.call(args);
    if (reply instanceof RespConnection.ErrorReply err) {
      throw refused(RespConnection.commandName(args), err.message(), null);
    }
  }

  /** Sends {@code PSYNC ? -1}, falling back to {@code SYNC}, and returns the payload header line. */
  private String requestSnapshot(RespConnection c) throws IOException {
    c.send("PSYNC", "?", "-1");
    c.flush();
    String line = readSkippingKeepAlives(c);
    if (line.startsWith("+FULLRESYNC")) {
      line = readSkippingKeepAlives(c);
    } else if (line.startsWith("-")) {
      String psyncError = line.substring(1);
      LOG.info("Redis at {} refused PSYNC ({}); trying SYNC", endpoint.describe(), psyncError);
      c.send("SYNC");
      c.flush();
      line = readSkippingKeepAlives(c);
      if (line.startsWith("-")) {
        throw refused("PSYNC and SYNC", psyncError, line.substring(1));
      }
    }
    if (!line.startsWith("$")) {
      throw new SourceException("Redis at " + endpoint.describe() + " answered the snapshot request with '"
          + truncate(line) + "' instead of an RDB payload");
    }
    return line;
  }

  private RuntimeException refused(String what, String error, @Nullable String secondError) {
    String both = secondError == null ? error : error + " / " + secondError;
    String fix = "; if this server blocks replication commands (managed services often rename or disable SYNC"
        + " and PSYNC), use source option mode=bgsave with rdbPath=<the server's dump.rdb as this host sees it>";
    if (both.startsWith("NOPERM") || both.contains("NOPERM")) {
      return new AccessDeniedException("Redis at " + endpoint.describe() + " does not allow user '"
          + (endpoint.user == null ? "default" : endpoint.user) + "' to run " + what + " (" + both
          + "); grant it +psync +sync +replconf +ping +info in its ACL" + fix);
    }
    return new SourceException("Redis at " + endpoint.describe() + " refused " + what + " (" + both + ")" + fix);
  }

  /** Reads the next line, skipping the bare newlines a master sends as keep-alives while it prepares the RDB. */
  private static String readSkippingKeepAlives(RespConnection c) throws IOException {
    InputStream in = c.input();
    while (true) {
      in.mark(1);
      int b = in.read();
      if (b < 0) {
        throw new EOFException("Redis closed the connection during the replication handshake");
      }
      if (b != '\n') {
        in.reset();
        return c.readLine();
      }
    }
  }

  private void receive(BackupSession session, RespConnection c, String header) throws IOException {
    try (Spool spool = new Spool(memoryBuffer, spoolLimit, () -> {
      try {
        return session.temporaryDirectory();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    })) {
      RdbChecker checker = new RdbChecker();
      RdbChecker.Result[] result = new RdbChecker.Result[1];
      String what = "the RDB payload from " + endpoint.describe();
      Thread reader = new Thread(() -> {
        long[] received = new long[1];
        try {
          readPayload(header, c.input(), (b, off, len) -> {
            checker.update(b, off, len);
            if (!checker.headerPlausible()) {
              throw new RdbChecker.RdbFormatException(what + " does not start with REDIS: not an RDB file");
            }
            spool.write(b, off, len);
            received[0] += len;
          });
          c.close(); // the payload is complete: drop the replica link right away
          result[0] = checker.finish(what);
          spool.finish();
        } catch (RdbChecker.RdbFormatException e) {
          spool.fail(new SourceException(e.getMessage() + "; nothing was stored"));
        } catch (SocketTimeoutException e) {
          spool.fail(new SourceException("Redis at " + endpoint.describe() + " stopped sending the RDB payload"
              + " after " + received[0] + " bytes (no data for " + endpoint.timeout.toSeconds()
              + " s); nothing was stored", e));
        } catch (IOException | RuntimeException e) {
          spool.fail(new SourceException("the connection to Redis at " + endpoint.describe()
              + " broke after " + received[0] + " bytes of the RDB payload (" + e.getMessage() + "); nothing was"
              + " stored. If the server log says the replica exceeded client-output-buffer-limit, raise the"
              + " spoolLimit option or that limit", e));
        } catch (Error e) {
          // the consumer waits on the spool for data, the end or a failure: without this it would wait forever
          spool.fail(new SourceException("reading the RDB payload from Redis at " + endpoint.describe()
              + " failed after " + received[0] + " bytes (" + e + "); nothing was stored", e));
          throw e;
        } finally {
          c.close();
        }
      }, "backup4j-redis-rdb-reader");
      reader.setDaemon(true);
      reader.start();
      long total = header.startsWith("$EOF:") ? -1 : parseLength(header);
      try (PartWriter part = session.openPart(PART)) {
        try {
          copy(spool.inputStream(), part.stream(), session, total);
        } catch (RuntimeException | IOException e) {
          // a cancellation closes the socket, which surfaces here as a broken transfer: report what it was
          session.cancellation().throwIfCancelled();
          throw e;
        }
        try {
          reader.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new CancelledException("interrupted while finishing the snapshot", e);
        }
        RdbChecker.Result r = Objects.requireNonNull(result[0], "reader finished without result");
        recordPayloadFacts(session, r);
        session.putMetadata("redis.spoolMaxBytes", Long.toString(spool.maxFileBytes()));
        part.commit();
        LOG.info("Redis snapshot of {}: RDB version {}, {} bytes, spooled at most {} bytes to disk",
            endpoint.describe(), r.rdbVersion(), r.length(), spool.maxFileBytes());
      } finally {
        c.close(); // on failure: stops the reader thread, which is blocked on the socket or the spool
        reader.interrupt();
      }
    }
  }

  @FunctionalInterface
  interface ByteSink {
    void accept(byte[] b, int off, int len) throws IOException;
  }

  /**
   * Reads one payload after its header line: exactly {@code len} bytes for {@code $<len>}, or everything up to the
   * 40-byte end mark for {@code $EOF:<mark>}. In the diskless form the mark is only recognised by content, so every
   * read keeps back its last 39 bytes until the next read shows whether they start the mark (a rolling compare);
   * bytes after the mark (a replication stream, on servers without rdb-only) are ignored.
   */
  static void readPayload(String header, InputStream in, ByteSink sink) throws IOException {
    if (header.startsWith("$EOF:")) {
      byte[] mark = header.substring(5).getBytes(StandardCharsets.ISO_8859_1);
      if (mark.length != 40) {
        throw new IOException("diskless payload header has a " + mark.length + "-byte end mark, expected 40");
      }
      byte[] buf = new byte[CHUNK + mark.length];
      int held = 0;
      while (true) {
        int n = in.read(buf, held, buf.length - held);
        if (n < 0) {
          throw new EOFException("the connection closed before the end mark of the diskless payload");
        }
        int total = held + n;
        byte last = mark[mark.length - 1];
        for (int e = Math.max(mark.length, held + 1); e <= total; e++) {
          if (buf[e - 1] == last && Arrays.equals(buf, e - mark.length, e, mark, 0, mark.length)) {
            sink.accept(buf, 0, e - mark.length);
            return;
          }
        }
        int release = Math.max(0, total - (mark.length - 1));
        sink.accept(buf, 0, release);
        held = total - release;
        System.arraycopy(buf, release, buf, 0, held);
      }
    }
    long remaining = parseLength(header);
    byte[] buf = new byte[CHUNK];
    while (remaining > 0) {
      int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
      if (n < 0) {
        throw new EOFException("the connection closed with " + remaining + " bytes of the payload missing");
      }
      sink.accept(buf, 0, n);
      remaining -= n;
    }
  }

  private static long parseLength(String header) {
    try {
      long len = Long.parseLong(header.substring(1).trim());
      if (len < 0) {
        throw new NumberFormatException();
      }
      return len;
    } catch (NumberFormatException e) {
      throw new SourceException("invalid RDB payload header '" + truncate(header) + "' from Redis");
    }
  }

  private void bgsave(BackupSession session) throws IOException {
    Path path = Objects.requireNonNull(rdbPath);
    try (RespConnection c = RespConnection.open(endpoint)) {
      Runnable closeOnCancel = c::close;
      session.cancellation().onCancel(closeOnCancel);
      c.callOk("PING");
      recordServerFacts(c, session);
      long deadline = System.nanoTime() + bgsaveTimeout.toNanos();
      Poller poller = new Poller(session, deadline);
      // A save already running started before our request: wait for it, then take our own.
      while (isSaving(c)) {
        poller.pause("an earlier BGSAVE to finish");
      }
      long before = lastSave(c);
      // LASTSAVE has a resolution of one second: start in a later second than the previous save so that a changed
      // LASTSAVE proves that our save finished.
      while (serverTimeSeconds(c) <= before) {
        poller.pause("the server clock to pass the previous save");
      }
      while (true) {
        Object reply = c.call("BGSAVE");
        if (!(reply instanceof RespConnection.ErrorReply err)) {
          break;
        }
        if (err.message().contains("already in progress")) {
          poller.pause("a concurrent BGSAVE to finish");
        } else if (err.message().contains("AOF")) {
          c.callOk("BGSAVE", "SCHEDULE"); // an AOF rewrite runs: the server saves right after it
          break;
        } else {
          throw c.error("BGSAVE", err);
        }
      }
      long saved;
      while (true) {
        Map<String, String> p = c.info("persistence");
        saved = lastSave(c);
        if (!"1".equals(p.get("rdb_bgsave_in_progress")) && saved > before) {
          if (!"ok".equals(p.get("rdb_last_bgsave_status"))) {
            throw new SourceException("BGSAVE on Redis at " + endpoint.describe() + " failed (rdb_last_bgsave_status:"
                + p.get("rdb_last_bgsave_status") + "); see the server log");
          }
          break;
        }
        poller.pause("BGSAVE to finish");
      }
      session.putMetadata("redis.mode", "bgsave");
      session.putMetadata("redis.transfer", "bgsave-file");
      session.putMetadata("redis.lastSave", Long.toString(saved));
      readSavedFile(session, path, saved);
    }
  }

  private boolean isSaving(RespConnection c) throws IOException {
    return "1".equals(c.info("persistence").get("rdb_bgsave_in_progress"));
  }

  private static long lastSave(RespConnection c) throws IOException {
    return (Long) c.callOk("LASTSAVE");
  }

  private static long serverTimeSeconds(RespConnection c) throws IOException {
    Object reply = c.callOk("TIME");
    return Long.parseLong(new String((byte[]) ((List<?>) reply).get(0), StandardCharsets.US_ASCII));
  }

  /** Polls with a growing interval (10 ms to 1 s) until the deadline: no fixed sleep guesses how long a save takes. */
  private final class Poller {
    private final BackupSession session;
    private final long deadline;
    private long delayMs = 10;

    Poller(BackupSession session, long deadline) {
      this.session = session;
      this.deadline = deadline;
    }

    void pause(String waitingFor) {
      session.cancellation().throwIfCancelled();
      if (System.nanoTime() > deadline) {
        throw new SourceException("gave up waiting for " + waitingFor + " on Redis at " + endpoint.describe()
            + " after " + bgsaveTimeout.toSeconds() + " s; raise option bgsaveTimeoutSeconds");
      }
      try {
        Thread.sleep(delayMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CancelledException("interrupted while waiting for " + waitingFor, e);
      }
      delayMs = Math.min(1000, delayMs * 2);
    }
  }

  private void readSavedFile(BackupSession session, Path path, long savedAtSeconds) throws IOException {
    if (!Files.isRegularFile(path)) {
      throw new ConfigurationException("rdbPath " + path + " is not a file; give the path of the server's RDB file"
          + " (CONFIG GET dir + dbfilename) as this host sees it");
    }
    // Open first: Redis replaces the file by rename, so an open handle keeps reading this save even if another one
    // lands meanwhile.
    try (InputStream in = Files.newInputStream(path); PartWriter part = session.openPart(PART)) {
      long modified = Files.getLastModifiedTime(path).toMillis() / 1000;
      if (modified < savedAtSeconds - 1) {
        throw new ConfigurationException("rdbPath " + path + " was last written at " + modified + " (epoch s), before"
            + " the BGSAVE that finished at " + savedAtSeconds + ": it is not this server's RDB file; check CONFIG"
            + " GET dir and dbfilename on " + endpoint.describe());
      }
      RdbChecker checker = new RdbChecker();
      long size = Files.size(path);
      OutputStream out = part.stream();
      byte[] buf = new byte[CHUNK];
      long done = 0;
      int n;
      while ((n = in.read(buf)) > 0) {
        checker.update(buf, 0, n);
        out.write(buf, 0, n);
        done += n;
        if ((done & ((1 << 24) - 1)) < n) {
          session.cancellation().throwIfCancelled();
          session.progress("bytes", done, size, "reading " + path);
        }
      }
      RdbChecker.Result r;
      try {
        r = checker.finish("RDB file " + path);
      } catch (RdbChecker.RdbFormatException e) {
        throw new SourceException(e.getMessage() + "; nothing was stored");
      }
      recordPayloadFacts(session, r);
      part.commit();
    }
  }

  private void copy(InputStream in, OutputStream out, BackupSession session, long total) throws IOException {
    byte[] buf = new byte[CHUNK];
    long done = 0;
    long nextReport = 0;
    int n;
    while ((n = in.read(buf)) >= 0) {
      out.write(buf, 0, n);
      done += n;
      if (done >= nextReport) {
        session.cancellation().throwIfCancelled();
        session.progress("bytes", done, total, "receiving RDB snapshot from " + endpoint.describe());
        nextReport = done + (16 << 20);
      }
    }
    session.progress("bytes", done, total, "received RDB snapshot from " + endpoint.describe());
  }

  /**
   * Records what the server says about itself, just before the snapshot is requested. A server or ACL that refuses
   * {@code INFO} does not fail the backup: the facts are then missing from the manifest (a warning says so) and a
   * restore cannot compare key counts with them.
   */
  private void recordServerFacts(RespConnection c, BackupSession session) throws IOException {
    Map<String, String> server = info(c, session, "server");
    session.putMetadata("redis.version", server.getOrDefault("redis_version", "unknown"));
    if (server.containsKey("redis_mode")) {
      session.putMetadata("redis.serverMode", server.get("redis_mode"));
    }
    Map<String, String> memory = info(c, session, "memory");
    if (memory.containsKey("used_memory")) {
      session.putMetadata("redis.usedMemory", memory.get("used_memory"));
    }
    for (Map.Entry<String, String> db : info(c, session, "keyspace").entrySet()) {
      // db0:keys=3,expires=1,avg_ttl=0
      if (!db.getKey().matches("db\\d+")) {
        continue;
      }
      for (String field : db.getValue().split(",")) {
        int eq = field.indexOf('=');
        if (eq > 0 && (field.startsWith("keys=") || field.startsWith("expires="))) {
          session.putMetadata("redis." + db.getKey() + "." + field.substring(0, eq), field.substring(eq + 1));
        }
      }
    }
  }

  private Map<String, String> info(RespConnection c, BackupSession session, String section) throws IOException {
    try {
      return c.info(section);
    } catch (SourceException | AccessDeniedException e) {
      session.warn("Redis at " + endpoint.describe() + " refused INFO " + section + " (" + e.getMessage()
          + "); the manifest lacks those facts. Grant +info to record them");
      return Map.of();
    }
  }

  private static void recordPayloadFacts(BackupSession session, RdbChecker.Result r) {
    session.putMetadata("redis.rdbVersion", Integer.toString(r.rdbVersion()));
    session.putMetadata("redis.rdbBytes", Long.toString(r.length()));
    session.putMetadata("redis.crc64", r.crcText());
  }

  private static String truncate(String s) {
    return s.length() > 120 ? s.substring(0, 120) + "..." : s;
  }

  @Override
  public String toString() {
    return "RedisSource[" + endpoint.describe() + ", mode=" + mode + "]";
  }
}
