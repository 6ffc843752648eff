package io.backup4j.core.internal;

import io.backup4j.api.BackupEvent;
import io.backup4j.api.BackupId;
import io.backup4j.api.BackupSession;
import io.backup4j.api.BackupSink;
import io.backup4j.api.Cancellation;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.Manifest;
import io.backup4j.api.Operation;
import io.backup4j.api.PartInfo;
import io.backup4j.api.PartWriter;
import io.backup4j.api.Transform;
import io.backup4j.api.WriteMode;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/** The state of one backup run: the session a source writes through, and the parts it committed. */
public final class BackupRun implements BackupSession {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BackupRun.class);
  private static final int PROGRESS_EVERY = 4 << 20;
  private static final int BUFFER = 64 << 10;
  private static final int PIPE_BUFFER = 256 << 10;
  private static final int PIPE_BUFFERS = 4;

  private final BackupId id;
  private final BackupSink sink;
  private final List<Transform> transforms;
  private final Events events;
  private final Cancellation cancellation;
  private final int parallelism;
  private final Path tempParent;
  private final java.util.function.Supplier<Optional<Manifest>> previous;
  private @Nullable Optional<Manifest> previousLoaded;
  private final List<PartInfo> parts = Collections.synchronizedList(new ArrayList<>());
  /** Each opened part's place in the order the source opened them: the manifest's order, whatever the commit order. */
  private final Map<String, Integer> openedAs = new ConcurrentHashMap<>();
  private final AtomicInteger opened = new AtomicInteger();
  private final Set<String> writtenKeys = ConcurrentHashMap.newKeySet();
  private final Map<String, String> metadata = new ConcurrentHashMap<>();
  private final AtomicInteger open = new AtomicInteger();
  private volatile @Nullable BackupId parent;
  private volatile boolean abandonedPart;
  private @Nullable Path temp;
  private final @Nullable RateLimiter sourceLimit;
  private final @Nullable RateLimiter sinkLimit;

  /** Creates the run. */
  public BackupRun(BackupId id, BackupSink sink, List<Transform> transforms, Events events, Cancellation cancellation,
      int parallelism, Path tempParent, java.util.function.Supplier<Optional<Manifest>> previous,
      @Nullable RateLimiter sourceLimit,
      @Nullable RateLimiter sinkLimit) {
    this.sourceLimit = sourceLimit;
    this.sinkLimit = sinkLimit;
    this.id = id;
    this.sink = sink;
    this.transforms = List.copyOf(transforms);
    this.events = events;
    this.cancellation = cancellation;
    this.parallelism = parallelism;
    this.tempParent = tempParent;
    this.previous = previous;
  }

  @Override
  public BackupId backupId() {
    return id;
  }

  @Override
  public PartWriter openPart(String name) throws IOException {
    cancellation.throwIfCancelled();
    PartInfo.validateName(name);
    if (openedAs.putIfAbsent(name, opened.getAndIncrement()) != null) {
      throw new ConfigurationException("the source opened part '" + name + "' twice in backup " + id);
    }
    StringBuilder suffix = new StringBuilder();
    for (Transform t : transforms) {
      suffix.append(t.fileSuffix());
    }
    String key = Layout.dataPrefix(id) + name + suffix;
    io.backup4j.api.StorageKeys.validate(key);
    PartWriter target = sink.openWrite(key, WriteMode.CREATE_ONLY);
    writtenKeys.add(key);
    open.incrementAndGet();
    try {
      return new Writer(name, key, target);
    } catch (IOException | RuntimeException e) {
      open.decrementAndGet();
      target.close();
      throw e;
    }
  }

  private final class Writer implements PartWriter {
    private final String name;
    private final String key;
    private final PartWriter target;
    private final HashingOutputStream stored;
    private final OutputStream encoded;
    private final HashingOutputStream raw;
    private final OutputStream front;
    private final List<PipeOutputStream> pipes = new ArrayList<>();
    private final List<OutputStream> encoders = new ArrayList<>();
    private boolean committed;
    private boolean closed;

    Writer(String name, String key, PartWriter target) throws IOException {
      this.name = name;
      this.key = key;
      this.target = target;
      OutputStream sinkStream = new NonClosingOutputStream(new SinkErrors(target.stream(), name));
      // without transforms the stored bytes are the raw bytes: hash them once
      this.stored = new HashingOutputStream(sinkLimit != null ? sinkLimit.limit(sinkStream) : sinkStream,
          !transforms.isEmpty());
      // Every stage gets its own thread behind a bounded pipe: storing, then each transform, so compression,
      // encryption, hashing and I/O overlap instead of taking turns on the source's thread.
      OutputStream out;
      try {
        out = pipe(stored, "store");
        for (int i = transforms.size() - 1; i >= 0; i--) {
          OutputStream encoder = transforms.get(i).encode(out);
          encoders.add(encoder);
          out = pipe(encoder, transforms.get(i).name());
        }
      } catch (IOException | RuntimeException | Error e) {
        // an encoder that cannot start: stop the stage threads already running, or each waits forever
        for (int i = pipes.size() - 1; i >= 0; i--) {
          pipes.get(i).abort();
        }
        for (OutputStream encoder : encoders) {
          try {
            encoder.close(); // releases native contexts; its output goes nowhere
          } catch (IOException | RuntimeException closing) {
            e.addSuppressed(closing);
          }
        }
        throw e;
      }
      this.encoded = out;
      this.raw = new HashingOutputStream(encoded);
      OutputStream rawSide = sourceLimit != null ? sourceLimit.limit(raw) : raw;
      this.front = new BufferedOutputStream(new ProgressStream(rawSide, name), BUFFER);
      events.emit(new BackupEvent.PartStarted(Operation.BACKUP, id, name, -1));
    }

    private OutputStream pipe(OutputStream downstream, String stage) {
      PipeOutputStream p = new PipeOutputStream(downstream, PIPE_BUFFER, PIPE_BUFFERS, "backup4j-" + stage + "-" + name);
      pipes.add(p);
      return p;
    }

    @Override
    public OutputStream stream() {
      return front;
    }

    @Override
    public void commit() throws IOException {
      if (committed) {
        return;
      }
      if (closed) {
        throw new IllegalStateException("part '" + name + "' was already closed without commit");
      }
      cancellation.throwIfCancelled();
      front.flush();
      encoded.close(); // finishes the transforms' trailers; the sink stream stays open for commit
      // Each encoder's close() should have closed the next stage; close them all anyway (idempotent), so an encoder
      // that does not never leaves bytes in a pipe (a truncated object committed, a stage thread left waiting), and
      // the counts and hashes read below are final.
      for (int i = pipes.size() - 1; i >= 0; i--) {
        pipes.get(i).close();
      }
      target.commit();
      committed = true;
      open.decrementAndGet();
      if (raw.count() != stored.count() && transforms.isEmpty()) {
        throw new IllegalStateException("part '" + name + "': " + raw.count() + " bytes in, " + stored.count() + " stored");
      }
      String rawSha = raw.hex();
      PartInfo info = new PartInfo(name, key, raw.count(), stored.count(), rawSha,
          transforms.isEmpty() ? rawSha : stored.hex());
      parts.add(info);
      events.emit(new BackupEvent.PartFinished(Operation.BACKUP, id, info));
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      if (!committed) {
        open.decrementAndGet();
        abandonedPart = true;
        for (int i = pipes.size() - 1; i >= 0; i--) {
          pipes.get(i).abort();
        }
        // release the encoders' resources (native compression contexts); what they write now goes nowhere
        for (OutputStream encoder : encoders) {
          try {
            encoder.close();
          } catch (IOException | RuntimeException e) {
            // expected: their downstream pipe is aborted; the part is being discarded anyway
            LOG.debug("closing an aborted encoder of part {}: {}", name, e.toString());
          }
        }
        target.close();
      }
    }
  }

  /**
   * Marks storage write errors as {@link io.backup4j.api.SinkException}, unchecked, so a source that wraps its own
   * I/O errors does not report a full disk as a database failure.
   */
  private final class SinkErrors extends FilterOutputStream {
    private final String part;

    SinkErrors(OutputStream out, String part) {
      super(out);
      this.part = part;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      try {
        out.write(b, off, len);
      } catch (IOException e) {
        throw fail(e);
      }
    }

    @Override
    public void flush() {
      try {
        out.flush();
      } catch (IOException e) {
        throw fail(e);
      }
    }

    private io.backup4j.api.SinkException fail(IOException e) {
      return new io.backup4j.api.SinkException("writing part '" + part + "' of backup " + id + " to " + sink.describe()
          + " failed: " + io.backup4j.api.Redaction.redact(String.valueOf(e.getMessage())), e);
    }
  }

  private final class ProgressStream extends FilterOutputStream {
    private final String part;
    private long bytes;
    private long nextReport = PROGRESS_EVERY;

    ProgressStream(OutputStream out, String part) {
      super(out);
      this.part = part;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      cancellation.throwIfCancelled();
      out.write(b, off, len);
      bytes += len;
      if (bytes >= nextReport) {
        nextReport = bytes + PROGRESS_EVERY;
        events.emit(new BackupEvent.PartProgress(Operation.BACKUP, id, part, bytes, -1));
      }
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }

  @Override
  public void putMetadata(String key, String value) {
    metadata.put(key, io.backup4j.api.Redaction.redact(value));
  }

  @Override
  public void setParent(BackupId parent) {
    this.parent = parent;
  }

  @Override
  public synchronized Optional<Manifest> previousBackup() {
    // loaded on first use only: it reads the set's manifests, which most sources never need
    if (previousLoaded == null) {
      previousLoaded = previous.get();
    }
    return previousLoaded;
  }

  @Override
  public void progress(String unit, long done, long total, String message) {
    events.emit(new BackupEvent.SourceProgress(Operation.BACKUP, id, unit, done, total, message));
  }

  @Override
  public void warn(String message) {
    events.emit(new BackupEvent.Warning(Operation.BACKUP, id, message));
  }

  @Override
  public int parallelism() {
    return parallelism;
  }

  @Override
  public Cancellation cancellation() {
    return cancellation;
  }

  @Override
  public synchronized Path temporaryDirectory() throws IOException {
    if (temp == null) {
      temp = TempDirs.create(tempParent, "backup4j-" + id.value() + "-");
    }
    return temp;
  }

  /** Removes the temporary directory, if one was made. */
  public synchronized void deleteTemporaryDirectory() throws IOException {
    if (temp != null) {
      TempDirs.deleteTree(temp);
      temp = null;
    }
  }

  /**
   * Parts committed so far, in the order the source opened them (parallel sources, e.g. pg_dump's directory format
   * with several jobs, commit them in another order).
   */
  public List<PartInfo> parts() {
    List<PartInfo> copy;
    synchronized (parts) {
      copy = new ArrayList<>(parts);
    }
    copy.sort(java.util.Comparator.comparingInt(p -> openedAs.getOrDefault(p.name(), Integer.MAX_VALUE)));
    return List.copyOf(copy);
  }

  /** Keys this run created (committed or not), for cleanup after a failure. */
  public Set<String> writtenKeys() {
    return Set.copyOf(writtenKeys);
  }

  /** Metadata recorded by the source. */
  public Map<String, String> metadata() {
    return Map.copyOf(metadata);
  }

  /** The declared parent, if any. */
  public @Nullable BackupId parent() {
    return parent;
  }

  /**
   * Checks that the source left nothing half-done: every part it opened was committed or closed.
   *
   * @throws io.backup4j.api.SourceException if a part is still open or was abandoned
   */
  public void checkComplete(String source) {
    if (open.get() > 0) {
      throw new io.backup4j.api.SourceException("source " + source + " returned while " + open.get()
          + " part(s) were still open; the backup is incomplete and was not committed");
    }
    if (abandonedPart) {
      throw new io.backup4j.api.SourceException("source " + source
          + " abandoned a part (closed it without commit) but did not fail; the backup is incomplete and was not committed");
    }
    if (parts.isEmpty()) {
      throw new io.backup4j.api.SourceException("source " + source + " wrote no part; nothing to commit");
    }
  }
}
