package io.backup4j.core.internal;

import io.backup4j.api.AlreadyExistsException;
import io.backup4j.api.BackupSink;
import io.backup4j.api.LockedException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.PartWriter;
import io.backup4j.api.WriteMode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lease lock on one backup set, stored in the repository itself so processes on different machines sharing the
 * storage exclude each other.
 *
 * <p>Acquired with a create-only write of {@code locks/<set>.lock}; renewed by a heartbeat every third of the lease.
 * A lock is stale when its owner ran on this host and that process is gone, or when it was not renewed for a whole
 * lease (plus a minute of clock skew). A stale lock is broken automatically with a warning; a live one fails with
 * {@link LockedException} naming the owner. {@link #forceBreak} deletes a lock deliberately.
 */
public final class SetLock implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SetLock.class);
  private static final Duration SKEW = Duration.ofMinutes(1);

  private final BackupSink sink;
  private final String key;
  private final String backupSet;
  private final String owner = UUID.randomUUID().toString();
  private final Duration lease;
  private final String operation;
  private final Instant acquiredAt = Instant.now();
  private ScheduledExecutorService heartbeat;
  private volatile boolean released;
  private final Object renewal = new Object();

  private SetLock(BackupSink sink, String backupSet, Duration lease, String operation) {
    this.sink = sink;
    this.backupSet = backupSet;
    this.key = Layout.lock(backupSet);
    this.lease = lease;
    this.operation = operation;
  }

  /**
   * Acquires the lock of {@code backupSet}.
   *
   * @param warn receives a message when a stale lock was broken
   * @throws LockedException if another live process holds it
   */
  public static SetLock acquire(BackupSink sink, String backupSet, Duration lease, String operation, Consumer<String> warn)
      throws IOException {
    SetLock lock = new SetLock(sink, backupSet, lease, operation);
    lock.acquire(warn);
    return lock;
  }

  private void acquire(Consumer<String> warn) throws IOException {
    for (int attempt = 0; attempt < 2; attempt++) {
      try {
        write(WriteMode.CREATE_ONLY);
        startHeartbeat();
        return;
      } catch (AlreadyExistsException e) {
        Optional<Map<String, String>> holder = readHolder(sink, key);
        if (holder.isEmpty()) {
          continue; // released between our write and our read: try again
        }
        Map<String, String> h = holder.get();
        String staleReason = staleReason(h, lease);
        if (staleReason == null || attempt > 0) {
          throw new LockedException("backup set '" + backupSet + "' is locked by " + describe(h)
              + "; wait for it to finish, or if that process is dead run `backup4j unlock --set " + backupSet
              + "` (Backups.breakLock) to break the lock");
        }
        String msg = "broke the stale lock of backup set '" + backupSet + "' held by " + describe(h) + ": " + staleReason;
        warn.accept(msg);
        sink.delete(key);
      }
    }
    throw new LockedException("could not acquire the lock of backup set '" + backupSet + "' (contended)");
  }

  static String describe(Map<String, String> h) {
    return "host " + h.getOrDefault("host", "?") + " pid " + h.getOrDefault("pid", "?") + " (" + h.getOrDefault("operation", "?")
        + " since " + h.getOrDefault("acquiredAt", "?") + ", renewed " + h.getOrDefault("renewedAt", "?") + ")";
  }

  private static String staleReason(Map<String, String> h, Duration defaultLease) {
    String host = h.get("host");
    String pid = h.get("pid");
    String namespace = h.get("pidNamespace");
    // Same host name is not enough to judge a pid: containers sharing the host's name (host networking) each have
    // their own pid namespace, where a live owner's pid may not exist. Locks of older releases lack the field.
    boolean samePids = namespace == null || namespace.equals(pidNamespace());
    if (hostName().equals(host) && pid != null && samePids) {
      try {
        long p = Long.parseLong(pid);
        if (p != ProcessHandle.current().pid() && ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false) == false) {
          return "process " + p + " on this host no longer exists";
        }
      } catch (NumberFormatException e) {
        return "the lock file is malformed (pid '" + pid + "')";
      }
    }
    try {
      Instant renewed = Instant.parse(h.getOrDefault("renewedAt", ""));
      long seconds = Long.parseLong(h.getOrDefault("leaseSeconds", Long.toString(defaultLease.toSeconds())));
      if (renewed.plusSeconds(seconds).plus(SKEW).isBefore(Instant.now())) {
        return "it was not renewed since " + renewed + " (lease " + seconds + " s)";
      }
    } catch (RuntimeException e) {
      return "the lock file is malformed";
    }
    return null;
  }

  /** The holder's description, or empty if the set is not locked. */
  public static Optional<Map<String, String>> readHolder(BackupSink sink, String key) throws IOException {
    try (InputStream in = sink.openRead(key)) {
      return Optional.of(ManifestCodec.readSimple(in.readAllBytes(), key));
    } catch (NotFoundException e) {
      return Optional.empty();
    } catch (RuntimeException e) {
      return Optional.of(Map.of("host", "?", "pid", "?", "renewedAt", "malformed"));
    }
  }

  /** Deletes the lock of a backup set whatever its state; returns the holder it removed, if any. */
  public static Optional<Map<String, String>> forceBreak(BackupSink sink, String backupSet) throws IOException {
    String key = Layout.lock(backupSet);
    Optional<Map<String, String>> h = readHolder(sink, key);
    sink.delete(key);
    return h;
  }

  private void write(WriteMode mode) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("backupSet", backupSet);
    m.put("owner", owner);
    m.put("host", hostName());
    m.put("pid", Long.toString(ProcessHandle.current().pid()));
    m.put("pidNamespace", pidNamespace());
    m.put("operation", operation);
    m.put("acquiredAt", acquiredAt.toString());
    m.put("renewedAt", Instant.now().toString());
    m.put("leaseSeconds", Long.toString(lease.toSeconds()));
    try (PartWriter w = sink.openWrite(key, mode)) {
      w.stream().write(ManifestCodec.writeSimple(m));
      w.commit();
    }
  }

  private void startHeartbeat() {
    heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "backup4j-lock-" + backupSet);
      t.setDaemon(true);
      return t;
    });
    long period = Math.max(1, lease.toMillis() / 3);
    heartbeat.scheduleAtFixedRate(this::renew, period, period, TimeUnit.MILLISECONDS);
  }

  private void renew() {
    // exclusive with close(): a rewrite finishing after the release would recreate the lock, and this process (alive,
    // so never judged stale) would then lock itself out of the set until the lease ran out
    synchronized (renewal) {
      if (released) {
        return;
      }
      try {
        Optional<Map<String, String>> h = readHolder(sink, key);
        if (h.isEmpty() || !owner.equals(h.get().get("owner"))) {
          LOG.error("the lock of backup set '{}' was taken away ({}); another process may be writing the same set",
              backupSet, h.map(SetLock::describe).orElse("lock deleted"));
          return;
        }
        write(WriteMode.OVERWRITE);
      } catch (IOException | RuntimeException e) {
        LOG.warn("could not renew the lock of backup set '{}': {}", backupSet, e.toString());
      }
    }
  }

  /**
   * Checks that this lock was not broken (as stale) or taken over since it was acquired, so a run that lost it does
   * not commit: whoever broke it may have removed this run's in-flight data as leftovers of a dead run.
   *
   * @throws LockedException naming the new holder if the lock is no longer ours
   */
  public void checkHeld() throws IOException {
    Optional<Map<String, String>> h = readHolder(sink, key);
    if (h.isEmpty() || !owner.equals(h.get().get("owner"))) {
      throw new LockedException("the lock of backup set '" + backupSet + "' was broken while this " + operation
          + " held it (" + h.map(m -> "now held by " + describe(m)).orElse("deleted") + "), for example because this "
          + "process was suspended longer than the lease; its in-flight data may have been removed, so it does not "
          + "commit. Run it again");
    }
  }

  /** Releases the lock if this process still owns it. */
  @Override
  public void close() throws IOException {
    if (released) {
      return;
    }
    released = true;
    if (heartbeat != null) {
      heartbeat.shutdownNow(); // interrupts a renewal under way, which then fails or finishes quickly
    }
    synchronized (renewal) {
      Optional<Map<String, String>> h = readHolder(sink, key);
      if (h.isPresent() && owner.equals(h.get().get("owner"))) {
        sink.delete(key);
      }
    }
  }

  /**
   * This process's pid namespace ({@code pid:[4026531836]} on Linux), or {@code "unknown"} where there is none to
   * read; a lock's pid is only checked by a process of the same namespace.
   */
  static String pidNamespace() {
    try {
      return Files.readSymbolicLink(Path.of("/proc/self/ns/pid")).toString();
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return "unknown";
    }
  }

  /** This host's name as recorded in locks. */
  public static String hostName() {
    String h = System.getenv("HOSTNAME");
    if (h != null && !h.isBlank()) {
      return h.trim();
    }
    try {
      Path p = Path.of("/etc/hostname");
      if (Files.isReadable(p)) {
        String s = Files.readString(p).trim();
        if (!s.isEmpty()) {
          return s;
        }
      }
    } catch (IOException e) {
      LOG.debug("cannot read /etc/hostname", e);
    }
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown-host";
    }
  }
}
