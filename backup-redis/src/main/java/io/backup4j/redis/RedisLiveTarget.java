package io.backup4j.redis;

import com.moilioncircle.redis.replicator.Configuration;
import com.moilioncircle.redis.replicator.RedisRdbReplicator;
import com.moilioncircle.redis.replicator.Replicator;
import com.moilioncircle.redis.replicator.event.Event;
import com.moilioncircle.redis.replicator.event.PostRdbSyncEvent;
import com.moilioncircle.redis.replicator.rdb.datatype.DB;
import com.moilioncircle.redis.replicator.rdb.datatype.ExpiredType;
import com.moilioncircle.redis.replicator.rdb.dump.DumpRdbVisitor;
import com.moilioncircle.redis.replicator.rdb.dump.datatype.DumpFunction;
import com.moilioncircle.redis.replicator.rdb.dump.datatype.DumpKeyValuePair;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.RestoreSession;
import io.backup4j.api.RestoreTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a Redis backup into a running server without a restart: {@code redis://host:port[/db]} or
 * {@code rediss://...}.
 *
 * <p>Steps: (1) the part is staged into the session's temporary directory, so the engine's SHA-256 check and our
 * RDB check (EOF opcode, CRC-64) pass before anything reaches the server; (2) the target must read the RDB's format
 * version (a 7.0 snapshot, RDB 10, is refused by a 6.2 server, naming both versions) and must not be a cluster;
 * (3) the databases written to must be empty unless {@code overwrite=true}; (4) the RDB is parsed with
 * redis-replicator and every key replayed as {@code RESTORE key ttl payload [REPLACE]} (payload = the key's DUMP
 * serialisation, TTL = the absolute expiry turned into the milliseconds remaining; keys already expired are
 * skipped), {@code SELECT}ing each database, pipelined in batches; Redis 7 functions are restored with
 * {@code FUNCTION RESTORE}; (5) afterwards each database's {@code DBSIZE} is compared with the keys restored (fails
 * unless the difference is keys whose TTL ran out meanwhile), the keys in the RDB with its own per-database count
 * (fails on mismatch), and that count with the manifest's {@code INFO keyspace} count (a warning: the server may
 * have been written to between that INFO and the snapshot).
 *
 * <p>Options: {@code overwrite} (default false); {@code keys} — only keys matching this Redis glob;
 * {@code sourceDb} — only this database of the backup (with a {@code /db} in the URI, it is restored into that
 * database, so {@code redis://h:6379/5} + {@code sourceDb=0} moves db 0 to db 5; a {@code /db} alone means
 * {@code sourceDb} = that number); {@code batchSize} (commands per pipeline round trip, default 1000); plus the
 * connection options of the source. A failure part-way leaves the keys restored so far in the server: a live
 * restore cannot be atomic. Memory: one key's serialised value at a time (plus a pipeline batch).
 */
final class RedisLiveTarget implements RestoreTarget {
  static final Set<String> OPTIONS;

  static {
    Set<String> s = new java.util.HashSet<>(RedisEndpoint.CONNECTION_OPTIONS);
    s.addAll(Set.of("overwrite", "keys", "sourceDb", "batchSize"));
    OPTIONS = Set.copyOf(s);
  }

  private static final Logger LOG = LoggerFactory.getLogger(RedisLiveTarget.class);
  private static final long MAX_PIPELINE_BYTES = 8L << 20;

  private final RedisEndpoint endpoint;
  private final boolean overwrite;
  private final byte @Nullable [] keyPattern;
  private final OptionalInt sourceDb;
  private final int batchSize;

  RedisLiveTarget(RedisEndpoint endpoint, Options options) {
    this.endpoint = Objects.requireNonNull(endpoint, "endpoint is null");
    this.overwrite = options.bool("overwrite", false);
    String keys = options.get("keys");
    this.keyPattern = keys == null ? null : keys.getBytes(StandardCharsets.UTF_8);
    String sdb = options.get("sourceDb");
    if (sdb != null) {
      try {
        int n = Integer.parseInt(sdb);
        if (n < 0) {
          throw new NumberFormatException();
        }
        this.sourceDb = OptionalInt.of(n);
      } catch (NumberFormatException e) {
        throw new ConfigurationException("option sourceDb must be a database number such as 0, not '" + sdb + "'");
      }
    } else {
      this.sourceDb = endpoint.database;
    }
    this.batchSize = (int) Math.min(100_000, options.positiveLong("batchSize", 1000));
  }

  @Override
  public String describe() {
    return endpoint.describe() + endpoint.database.stream().mapToObj(d -> "/" + d).findFirst().orElse("");
  }

  /** Counters for one database of the backup. */
  private static final class DbStats {
    @Nullable Long rdbCount; // RESIZEDB: the number of keys the snapshot says it holds
    long parsed;
    long restored;
    long restoredWithTtl;
    long expired;
    long filtered;
    long targetDb = -1;
  }

  @Override
  public void restore(RestoreSession session) throws IOException {
    Path staged = session.temporaryDirectory().resolve("staged-" + RedisSource.PART);
    RdbChecker.Result rdb = stage(session, staged);
    try (RespConnection c = RespConnection.open(endpoint)) {
      session.cancellation().onCancel(c::close);
      Map<String, String> server = c.info("server");
      String version = server.getOrDefault("redis_version", "0");
      if ("cluster".equals(server.get("redis_mode"))) {
        throw new ConfigurationException(describe() + " is a Redis Cluster node; a live restore replays into one"
            + " standalone server. Restore into a directory and load the file on each shard, or into a standalone"
            + " server");
      }
      int readable = RedisVersions.maxRdbVersion(version);
      if (rdb.rdbVersion() > readable) {
        String backedUp = session.manifest().sourceMetadata().getOrDefault("redis.version", "unknown");
        throw new ConfigurationException("the backup holds an RDB version " + rdb.rdbVersion() + " snapshot (taken"
            + " from Redis " + backedUp + "), but " + describe() + " runs Redis " + version + ", which reads RDB"
            + " versions up to " + readable + "; restore into Redis " + RedisVersions.firstReleaseReading(
                rdb.rdbVersion()) + " or newer");
      }
      checkEmpty(c);
      Map<Long, DbStats> stats = replay(session, c, staged);
      verify(session, c, stats);
    } finally {
      Files.deleteIfExists(staged);
    }
  }

  private RdbChecker.Result stage(RestoreSession session, Path staged) throws IOException {
    RdbChecker checker = new RdbChecker();
    try (InputStream in = session.openPart(RedisSource.PART);
        OutputStream out = Files.newOutputStream(staged, StandardOpenOption.CREATE_NEW)) {
      byte[] buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) >= 0) {
        checker.update(buf, 0, n);
        out.write(buf, 0, n);
      }
    }
    try {
      return checker.finish("the backed-up RDB file");
    } catch (RdbChecker.RdbFormatException e) {
      throw new IntegrityException(e.getMessage() + "; nothing was restored");
    }
  }

  private void checkEmpty(RespConnection c) throws IOException {
    if (overwrite) {
      return;
    }
    for (Map.Entry<String, String> e : c.info("keyspace").entrySet()) {
      if (!e.getKey().matches("db\\d+")) {
        continue;
      }
      int db = Integer.parseInt(e.getKey().substring(2));
      boolean relevant = endpoint.database.isPresent() ? endpoint.database.getAsInt() == db
          : sourceDb.isEmpty() || sourceDb.getAsInt() == db;
      if (relevant && !e.getValue().startsWith("keys=0,")) {
        throw new ConfigurationException("database " + db + " of " + describe() + " is not empty (" + e.getValue()
            + "); restore into an empty server, or pass option overwrite=true (CLI: --overwrite) to replace keys of the same name (other"
            + " keys stay)");
      }
    }
  }

  private Map<Long, DbStats> replay(RestoreSession session, RespConnection c, Path staged) throws IOException {
    Replay replay = new Replay(session, c);
    Configuration conf = Configuration.defaultSetting().setUseDefaultExceptionListener(false);
    Replicator replicator = new RedisRdbReplicator(staged.toFile(), conf);
    replicator.setRdbVisitor(new DumpRdbVisitor(replicator));
    replicator.addEventListener((r, event) -> replay.onEvent(event));
    replicator.addExceptionListener((r, error, event) -> replay.failWith(error));
    try {
      replicator.open();
    } catch (IOException | UncheckedIOException e) {
      if (replay.failure == null) {
        throw new IntegrityException("cannot parse the backed-up RDB file: " + e.getMessage(), e);
      }
    } finally {
      replicator.close();
    }
    if (replay.failure != null) {
      throw replay.failure;
    }
    replay.drain();
    if (replay.failure != null) {
      throw replay.failure;
    }
    if (!replay.sawEnd) {
      throw new IntegrityException("the backed-up RDB file ended before its EOF opcode; the keys read so far were"
          + " restored, the rest is missing");
    }
    return replay.stats;
  }

  /** Replays parser events as pipelined commands. Errors are kept and rethrown after the parser stopped. */
  private final class Replay {
    final RestoreSession session;
    final RespConnection c;
    final Map<Long, DbStats> stats = new TreeMap<>();
    final List<String> pendingWhat = new ArrayList<>();
    long pendingBytes;
    long selectedDb = -1;
    long restoredTotal;
    boolean sawEnd;
    @Nullable RuntimeException failure;

    Replay(RestoreSession session, RespConnection c) {
      this.session = session;
      this.c = c;
    }

    void onEvent(Event event) {
      if (failure != null) {
        throw new UncheckedIOException(new IOException("restore aborted"));
      }
      try {
        if (event instanceof DumpKeyValuePair kv) {
          key(kv);
        } else if (event instanceof DumpFunction f) {
          if (sourceDb.isEmpty() && keyPattern == null) {
            send("function", "FUNCTION", "RESTORE", f.getSerialized(), overwrite ? "REPLACE" : "APPEND");
          }
        } else if (event instanceof PostRdbSyncEvent) {
          sawEnd = true;
        }
      } catch (IOException e) {
        failWith(e);
      } catch (RuntimeException e) {
        failWith(e);
      }
      if (failure != null) {
        // Only an UncheckedIOException stops the parser; anything else would be logged and parsing would go on.
        throw new UncheckedIOException(new IOException("restore aborted"));
      }
    }

    void failWith(Throwable e) {
      if (failure != null) {
        return;
      }
      if (e instanceof RuntimeException re && re instanceof io.backup4j.api.BackupException) {
        failure = re;
      } else {
        failure = new io.backup4j.api.SourceException("live restore into " + describe() + " failed: " + e, e);
      }
    }

    private void key(DumpKeyValuePair kv) throws IOException {
      DB db = kv.getDb();
      long dbNumber = db == null ? 0 : db.getDbNumber();
      DbStats s = stats.computeIfAbsent(dbNumber, k -> new DbStats());
      if (db != null && db.getDbsize() != null) {
        s.rdbCount = db.getDbsize();
      }
      s.parsed++;
      if (sourceDb.isPresent() && sourceDb.getAsInt() != dbNumber) {
        s.filtered++;
        return;
      }
      byte[] key = kv.getKey();
      if (keyPattern != null && !RedisGlob.matches(keyPattern, key)) {
        s.filtered++;
        return;
      }
      long ttl = 0;
      if (kv.getExpiredType() != null && kv.getExpiredType() != ExpiredType.NONE) {
        ttl = kv.getExpiredMs() - System.currentTimeMillis();
        if (ttl <= 0) {
          s.expired++;
          return;
        }
      }
      long target = endpoint.database.isPresent() ? endpoint.database.getAsInt() : dbNumber;
      s.targetDb = target;
      if (target != selectedDb) {
        send("SELECT " + target, "SELECT", Long.toString(target));
        selectedDb = target;
      }
      // without overwrite no REPLACE: the database was empty when checked, so an existing key was written by
      // another client since, and BUSYKEY fails the restore instead of silently replacing that client's value
      if (overwrite) {
        send("key '" + printable(key) + "' of db " + dbNumber, "RESTORE", key, Long.toString(ttl), kv.getValue(),
            "REPLACE");
      } else {
        send("key '" + printable(key) + "' of db " + dbNumber, "RESTORE", key, Long.toString(ttl), kv.getValue());
      }
      s.restored++;
      if (ttl > 0) {
        s.restoredWithTtl++;
      }
      restoredTotal++;
      if (restoredTotal % 10_000 == 0) {
        session.cancellation().throwIfCancelled();
        session.progress("keys", restoredTotal, -1, "restoring into " + describe());
      }
    }

    private void send(String what, Object... args) throws IOException {
      pendingBytes += c.send(args);
      pendingWhat.add(what);
      if (pendingWhat.size() >= batchSize || pendingBytes >= MAX_PIPELINE_BYTES) {
        drain();
      }
    }

    void drain() throws IOException {
      c.flush();
      RuntimeException first = null;
      for (String what : pendingWhat) {
        Object reply = c.readReply();
        if (reply instanceof RespConnection.ErrorReply err && first == null) {
          first = err.code().equals("BUSYKEY")
              ? new io.backup4j.api.SourceException("live restore into " + describe() + ": " + what + " was"
                  + " written by another client during the restore (" + err.message() + "); it was kept. Stop"
                  + " the writers and restore again, or pass option overwrite=true to replace keys")
              : c.error("RESTORE of " + what, err);
        }
      }
      pendingWhat.clear();
      pendingBytes = 0;
      if (first != null) {
        throw first;
      }
    }
  }

  private void verify(RestoreSession session, RespConnection c, Map<Long, DbStats> stats) throws IOException {
    Map<String, String> meta = session.manifest().sourceMetadata();
    long restored = 0;
    for (Map.Entry<Long, DbStats> e : stats.entrySet()) {
      long db = e.getKey();
      DbStats s = e.getValue();
      restored += s.restored;
      if (s.rdbCount != null && s.rdbCount != s.parsed) {
        throw new IntegrityException("the backed-up RDB says database " + db + " holds " + s.rdbCount + " keys but "
            + s.parsed + " were read from it: the snapshot is inconsistent");
      }
      String recorded = meta.get("redis.db" + db + ".keys");
      if (recorded != null && !recorded.equals(Long.toString(s.parsed))) {
        session.warn("database " + db + " held " + recorded + " keys when the backup started (INFO keyspace) and "
            + s.parsed + " in the snapshot: the server was written to meanwhile");
      }
      if (s.restored == 0) {
        continue;
      }
      c.callOk("SELECT", Long.toString(s.targetDb));
      long actual = (Long) c.callOk("DBSIZE");
      long lowest = s.restored - s.restoredWithTtl;
      if (overwrite ? actual < lowest : actual > s.restored || actual < lowest) {
        throw new IntegrityException("after the restore database " + s.targetDb + " of " + describe() + " holds "
            + actual + " keys, but " + s.restored + " were restored into it"
            + (overwrite ? "" : " (it was empty before)") + ": another client changed it, or keys were lost");
      }
      if (!overwrite && actual < s.restored) {
        session.warn((s.restored - actual) + " keys restored into database " + s.targetDb + " expired during the"
            + " restore");
      }
      LOG.info("restored database {} into {} db {}: {} keys ({} with TTL), {} already expired, {} filtered out",
          db, describe(), s.targetDb, s.restored, s.restoredWithTtl, s.expired, s.filtered);
    }
    for (Map.Entry<String, String> m : meta.entrySet()) {
      // a database the manifest saw but the snapshot does not contain at all
      if (m.getKey().matches("redis\\.db\\d+\\.keys") && !m.getValue().equals("0")) {
        long db = Long.parseLong(m.getKey().substring(8, m.getKey().length() - 5));
        if (!stats.containsKey(db)) {
          session.warn("database " + db + " held " + m.getValue() + " keys when the backup started (INFO keyspace)"
              + " but none are in the snapshot: the server was written to meanwhile");
        }
      }
    }
    session.progress("keys", restored, restored, "restored into " + describe());
  }

  private static String printable(byte[] key) {
    String s = new String(key, 0, Math.min(key.length, 80), StandardCharsets.UTF_8);
    return s.replaceAll("\\p{Cntrl}", "?") + (key.length > 80 ? "..." : "");
  }

  @Override
  public String toString() {
    return "RedisLiveTarget[" + describe() + "]";
  }
}
