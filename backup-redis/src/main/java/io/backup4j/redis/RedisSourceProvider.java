package io.backup4j.redis;

import io.backup4j.api.BackupSource;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.Redaction;
import io.backup4j.api.RestoreTarget;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.SourceProvider;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code redis} provider: RDB snapshots of a Redis server, restored into a file or into a running server.
 *
 * <h2>Source</h2>
 * {@code redis://[[user]:password@]host[:port]} or {@code rediss://...} (TLS). The password comes from the URI's
 * user-info or from the context secret {@value RedisEndpoint#SECRET_PASSWORD}; an ACL user from the user-info or
 * option {@code user}. It is never logged: {@link BackupSource#identity()} is {@code redis://host:port}.
 * Options:
 * <ul>
 *   <li>{@code mode} — {@code replication} (default): the snapshot arrives over the replication protocol, exactly as
 *       a new replica gets it, in either payload form (disk-backed {@code $len} or diskless {@code $EOF:mark});
 *       the user needs {@code +psync +sync +replconf +ping} (and {@code +info} for the manifest facts).
 *       {@code bgsave}: {@code BGSAVE}, wait until
 *       {@code LASTSAVE} moves and {@code INFO persistence} reports success, then read {@code rdbPath} — for servers
 *       that rename or block {@code SYNC}/{@code PSYNC}; needs the server's disk mounted locally.</li>
 *   <li>{@code rdbPath} — the server's RDB file as this host sees it (mode=bgsave only).</li>
 *   <li>{@code memoryBuffer} (default {@code 16m}) and {@code spoolLimit} (default {@code 4g}) — the socket is read
 *       at network speed: a master drops a replica that reads too slowly ({@code client-output-buffer-limit
 *       replica}), so when the sink is slower the payload is buffered in memory, then spooled to a private
 *       temporary file of at most {@code spoolLimit} bytes (in the session's temporary directory). Only when that
 *       is full does the socket wait. {@code 0} disables the spool.</li>
 *   <li>{@code bgsaveTimeoutSeconds} (default 3600), {@code timeoutSeconds} (socket, default 60).</li>
 *   <li>TLS: {@code trustStore} (PKCS12 or JKS file; default: the JVM's trust store), {@code trustStoreType},
 *       {@code trustStorePassword} (or secret {@value RedisEndpoint#SECRET_TRUST_STORE_PASSWORD}),
 *       {@code tlsVerifyHostname} (default true).</li>
 * </ul>
 * The backup has one part, {@code dump.rdb}, checked before commit: {@code REDISnnnn} header, EOF opcode and CRC-64.
 * Manifest metadata: {@code redis.version}, {@code redis.rdbVersion}, {@code redis.usedMemory},
 * {@code redis.db<N>.keys} and {@code redis.db<N>.expires} (from {@code INFO keyspace} just before the snapshot),
 * {@code redis.mode}, {@code redis.transfer} ({@code disk}, {@code diskless}, {@code bgsave-file}),
 * {@code redis.rdbBytes}, {@code redis.crc64}, {@code redis.spoolMaxBytes}.
 *
 * <h2>Restore targets</h2>
 * <ul>
 *   <li>A directory — a plain path, {@code file:/path} or {@code dir:/path}: writes {@code dump.rdb} atomically
 *       (temporary file, fsync, rename), for a server (re)start with {@code dir} pointing there. This is the
 *       documented way to restore a whole server. Options: {@code overwrite} (default false: an existing file is
 *       refused), {@code fileName} (default {@code dump.rdb}, the server's {@code dbfilename}).</li>
 *   <li>{@code redis://host:port[/db]} (or {@code rediss://}) — a live restore into a running server: the RDB is
 *       staged and verified locally, parsed with redis-replicator, and every key replayed with
 *       {@code RESTORE key ttl payload} ({@code REPLACE} only with {@code overwrite=true}), pipelined. See
 *       {@link RedisLiveTarget} for the options.</li>
 * </ul>
 */
public final class RedisSourceProvider implements SourceProvider {
  /** The provider name and manifest kind. */
  public static final String NAME = "redis";

  /** The option the CLI adds for {@code --target-dir}: the target is a directory. */
  static final String TARGET_DIR_OPTION = "targetDir";

  private static final Set<String> SOURCE_OPTIONS = union(RedisEndpoint.CONNECTION_OPTIONS,
      Set.of("mode", "rdbPath", "memoryBuffer", "spoolLimit", "bgsaveTimeoutSeconds"));

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public RedisSourceProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<String> schemes() {
    return Set.of("redis", "rediss");
  }

  @Override
  public Set<String> sensitiveOptions() {
    return Set.of("trustStorePassword");
  }

  @Override
  public String description() {
    return "redis: RDB snapshots over the replication protocol (redis://, rediss://; options mode=replication|bgsave,"
        + " rdbPath, user, spoolLimit, trustStore); restore into a directory (dump.rdb) or live into redis://host:port";
  }

  @Override
  public BackupSource openSource(URI uri, Map<String, String> options, ProviderContext context) {
    Options o = new Options(options, SOURCE_OPTIONS, "Redis source " + Redaction.redact(uri.toString()));
    RedisEndpoint endpoint = RedisEndpoint.parse(uri, o, context);
    if (endpoint.database.isPresent()) {
      throw new ConfigurationException("a Redis snapshot always holds every database; remove the /"
          + endpoint.database.getAsInt() + " from " + endpoint.describe());
    }
    String m = o.get("mode", "replication").toLowerCase(Locale.ROOT);
    RedisSource.Mode mode = switch (m) {
      case "replication", "sync", "psync" -> RedisSource.Mode.REPLICATION;
      case "bgsave" -> RedisSource.Mode.BGSAVE;
      default -> throw new ConfigurationException("option mode of the Redis source must be replication or bgsave, not '"
          + m + "'");
    };
    String rdb = o.get("rdbPath");
    if (rdb != null && mode != RedisSource.Mode.BGSAVE) {
      throw new ConfigurationException("option rdbPath is only used with mode=bgsave");
    }
    return new RedisSource(endpoint, mode, rdb == null ? null : Path.of(rdb), o.size("memoryBuffer", 16L << 20),
        o.size("spoolLimit", 4L << 30), Duration.ofSeconds(o.positiveLong("bgsaveTimeoutSeconds", 3600)));
  }

  @Override
  public RestoreTarget openTarget(String target, Map<String, String> options, ProviderContext context) {
    String lower = target.toLowerCase(Locale.ROOT);
    // The CLI's --target-dir DIR passes DIR with option targetDir=true: it always means a directory.
    boolean asDirectory = Boolean.parseBoolean(options.getOrDefault(TARGET_DIR_OPTION, "false"));
    options = new java.util.HashMap<>(options);
    options.remove(TARGET_DIR_OPTION);
    if (asDirectory && lower.matches("^[a-z][a-z0-9+.-]*://.*")) {
      throw new ConfigurationException("--target-dir takes a directory, not " + Redaction.redact(target)
          + "; use --target " + Redaction.redact(target) + " for a live restore");
    }
    if (lower.startsWith("redis://") || lower.startsWith("rediss://")) {
      Options o = new Options(options, RedisLiveTarget.OPTIONS, "Redis restore target " + Redaction.redact(target));
      return new RedisLiveTarget(RedisEndpoint.parse(target, o, context), o);
    }
    Path dir;
    if (lower.startsWith("file:")) {
      try {
        dir = Path.of(URI.create(target));
      } catch (IllegalArgumentException e) {
        throw new ConfigurationException("not a valid file URI: " + target + "; use file:/absolute/dir or a plain"
            + " path", e);
      }
    } else if (lower.startsWith("dir:")) {
      dir = Path.of(target.substring(4));
    } else if (lower.matches("^[a-z][a-z0-9+.-]*://.*")) {
      throw new ConfigurationException("a Redis backup restores into redis://host:port (live) or into a directory"
          + " (a path, file:/path or dir:/path), not " + Redaction.redact(target));
    } else {
      dir = Path.of(target);
    }
    Options o = new Options(options, RedisDirectoryTarget.OPTIONS, "Redis restore directory " + dir);
    return new RedisDirectoryTarget(dir, o);
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> s = new HashSet<>(a);
    s.addAll(b);
    return Set.copyOf(s);
  }
}
