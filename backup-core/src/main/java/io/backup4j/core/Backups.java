package io.backup4j.core;

import io.backup4j.api.AlreadyExistsException;
import io.backup4j.api.BackupEvent;
import io.backup4j.api.BackupException;
import io.backup4j.api.BackupId;
import io.backup4j.api.BackupListener;
import io.backup4j.api.BackupSink;
import io.backup4j.api.BackupSource;
import io.backup4j.api.BackupStatus;
import io.backup4j.api.Cancellation;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.ErrorCode;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.Manifest;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.ObjectInfo;
import io.backup4j.api.Operation;
import io.backup4j.api.PartInfo;
import io.backup4j.api.PartWriter;
import io.backup4j.api.Redaction;
import io.backup4j.api.RestoreSession;
import io.backup4j.api.RestoreTarget;
import io.backup4j.api.RetentionPolicy;
import io.backup4j.api.Secret;
import io.backup4j.api.SinkException;
import io.backup4j.api.SourceException;
import io.backup4j.api.Transform;
import io.backup4j.api.TransformSpec;
import io.backup4j.api.WriteMode;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.SourceProvider;
import io.backup4j.core.internal.BackupRun;
import io.backup4j.core.internal.DefaultProviderContext;
import io.backup4j.core.internal.Digests;
import io.backup4j.core.internal.Events;
import io.backup4j.core.internal.Layout;
import io.backup4j.core.internal.ManifestCodec;
import io.backup4j.core.internal.PartChain;
import io.backup4j.core.internal.SetLock;
import io.backup4j.core.internal.TempDirs;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point: runs backups, restores, verification, deletion and retention against one repository.
 *
 * <pre>{@code
 * try (Backups backups = Backups.builder().repository("file:/var/backups/repo").build()) {
 *   Manifest m = backups.backup(BackupJob.builder().source("files:/srv/media").transform("zstd").build());
 *   backups.verify(m.id());
 *   backups.restore(m.id(), RestoreJob.builder("/srv/media-restored").build());
 * }
 * }</pre>
 *
 * <p>The commit protocol: a backup writes an in-flight marker, then its parts, then its manifest (create-only), then
 * removes the marker. A backup is visible to {@link #list()} and restorable only once its manifest exists, so a
 * failed, cancelled or killed run leaves nothing that looks complete; its leftovers are removed by the next run of
 * the same backup set. Runs of one backup set exclude each other through a lock stored in the repository.
 *
 * <p>Thread-safe; holds the storage client, so close it.
 */
public final class Backups implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Backups.class);
  private static final String PRODUCER = "backup4j " + version();

  private final @Nullable String repositoryUri;
  private final Map<String, String> repositoryOptions;
  private final Providers providers;
  private final Events events;
  private final ProviderContext context;
  private final Path temporaryDirectory;
  private final int parallelism;
  private final Duration lockLease;
  private final Object sinkLock = new Object();
  private @Nullable BackupSink sink;
  /** Read-only clients replaced by a writable one; still in use by whoever obtained them, so closed last. */
  private final List<BackupSink> replacedSinks = new ArrayList<>();
  private boolean sinkCreatable;
  private final boolean ownsSink;
  /** Set once the repository marker was seen or written; a marker is never removed, so one check suffices. */
  private volatile boolean repositoryChecked;

  private Backups(Builder b) {
    this.repositoryUri = b.repositoryUri;
    this.repositoryOptions = Map.copyOf(b.repositoryOptions);
    this.providers = b.providers != null ? b.providers : Providers.load();
    this.events = new Events(b.listener);
    this.temporaryDirectory = b.temporaryDirectory;
    this.context = new DefaultProviderContext(b.environment, b.secrets, temporaryDirectory);
    this.parallelism = b.parallelism;
    this.lockLease = b.lockLease;
    this.sink = b.sink;
    this.sinkCreatable = b.sink != null;
    this.ownsSink = b.sink == null;
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The plugins this instance uses. */
  public Providers providers() {
    return providers;
  }

  // ---------------------------------------------------------------------------------------------------- backup

  /**
   * Takes a backup and commits it.
   *
   * @return the committed manifest
   * @throws BackupException if anything failed; nothing of the failed run is visible and earlier backups are
   *     untouched
   */
  public Manifest backup(BackupJob job) {
    Objects.requireNonNull(job, "job is null");
    Instant started = Instant.now();
    BackupId id = BackupId.generate(started);
    BackupSource source = null;
    BackupRun run = null;
    SetLock lock = null;
    BackupSink sink = null;
    boolean pendingWritten = false;
    boolean committed = false;
    String set = "?";
    try {
      source = openSource(job);
      String identity = Redaction.redact(source.identity());
      set = job.backupSet().orElseGet(defaultSet(source.kind(), identity));
      List<Transform> transforms = createTransforms(job.transforms());
      sink = sink(true);
      ensureRepository(sink, true);
      events.emit(new BackupEvent.Started(Operation.BACKUP, id, identity + " -> " + sink.describe()));
      final BackupId runId = id;
      lock = SetLock.acquire(sink, set, lockLease, "backup " + id,
          msg -> events.emit(new BackupEvent.Warning(Operation.BACKUP, runId, msg)));
      cleanOrphans(sink, set, id, Operation.BACKUP);
      final String runSet = set;
      writePending(sink, id, set, "backup");
      pendingWritten = true;
      run = new BackupRun(id, sink, transforms, events, job.cancellation(), parallelism, temporaryDirectory,
          () -> list(runSet).stream().reduce((a, b) -> b),
          job.sourceBytesPerSecond() > 0 ? new io.backup4j.core.internal.RateLimiter(job.sourceBytesPerSecond(), job.cancellation()) : null,
          job.sinkBytesPerSecond() > 0 ? new io.backup4j.core.internal.RateLimiter(job.sinkBytesPerSecond(), job.cancellation()) : null);
      try {
        source.backup(run);
      } catch (BackupException e) {
        throw e;
      } catch (IOException e) {
        throw new SourceException("backup of " + identity + " failed: " + Redaction.redact(String.valueOf(e.getMessage())), e);
      }
      job.cancellation().throwIfCancelled();
      run.checkComplete(identity);
      Manifest manifest = new Manifest(Manifest.FORMAT_VERSION, id, set, source.kind(), identity, job.labels(), started,
          Instant.now(), BackupStatus.COMPLETE, run.parts(), transforms.stream().map(Transform::spec).toList(),
          run.parent(), run.metadata(), PRODUCER);
      lock.checkHeld();
      writeManifest(sink, manifest);
      committed = true;
      try {
        sink.delete(Layout.pending(id));
      } catch (IOException | RuntimeException e) {
        // the backup is complete: the next run of the set removes a marker whose manifest exists
        String msg = "backup " + id + " is committed, but its in-flight marker " + Layout.pending(id)
            + " could not be removed (" + Redaction.redact(e.toString()) + "); the next backup of set " + set
            + " removes it";
        LOG.warn("{}", msg);
        events.emit(new BackupEvent.Warning(Operation.BACKUP, id, msg));
      }
      if (job.verifyAfterBackup()) {
        // with the run's own transform instances: they hold the keys, which the manifest never records
        try {
          verifyWith(manifest, transforms);
        } catch (IntegrityException e) {
          // never leave a backup that was just proven unreadable looking complete
          try {
            deleteLocked(sink, manifest, Operation.BACKUP);
          } catch (IOException | RuntimeException notRemoved) {
            // still an integrity failure first of all: the caller must not take it for a storage or permission issue
            IntegrityException failure = new IntegrityException("backup " + id + " was written but failed its "
                + "verification, and it could not be removed (" + notRemoved.getMessage() + "); it is listed but "
                + "must not be used: delete it when that is possible. " + e.getMessage(), e);
            failure.addSuppressed(notRemoved);
            throw failure;
          }
          throw new IntegrityException("backup " + id + " was written but failed its verification and was removed: "
              + e.getMessage(), e);
        }
      }
      events.emit(new BackupEvent.Finished(Operation.BACKUP, id, manifest.rawSize(), manifest.storedSize(),
          Duration.between(started, Instant.now())));
      if (job.retention().isPresent()) {
        try {
          applyRetentionLocked(sink, set, job.retention().get(), id);
        } catch (RuntimeException e) {
          // say plainly that the backup itself is fine: a caller must not retry it or take it for lost
          BackupException cause = asBackupException(e, "applying retention to set " + set);
          throw new BackupException(cause.code(), "backup " + id + " is committed and restorable, but applying "
              + "retention to set " + set + " afterwards failed: " + cause.getMessage(), cause);
        }
      }
      return manifest;
    } catch (RuntimeException | IOException | Error e) {
      BackupException failure = asBackupException(e, "backup " + id + " of set " + set);
      if (e instanceof CommitOutcomeUnknownException) {
        // keep parts and in-flight marker: the next run of the set finds the manifest (keeps all) or not (removes all)
        LOG.warn("{}", e.getMessage());
      } else if (!committed && sink != null && run != null) {
        discard(sink, run.writtenKeys(), id, pendingWritten);
      } else if (!committed && sink != null && pendingWritten) {
        discard(sink, Set.of(), id, true);
      }
      events.emit(new BackupEvent.Failed(Operation.BACKUP, id, failure));
      throw failure;
    } finally {
      if (run != null) {
        try {
          run.deleteTemporaryDirectory();
        } catch (IOException e) {
          LOG.warn("could not delete the temporary directory of backup {}: {}", id, e.toString());
        }
      }
      closeQuietly(lock, "lock of " + set);
      if (source != null && job.source().isEmpty()) {
        closeQuietly(source, "source");
      }
    }
  }

  private java.util.function.Supplier<String> defaultSet(String kind, String identity) {
    return () -> kind.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "-") + "-" + Digests.sha256Hex(identity).substring(0, 12);
  }

  private BackupSource openSource(BackupJob job) {
    if (job.source().isPresent()) {
      return job.source().get();
    }
    String uriText = job.sourceUri().orElseThrow();
    URI uri = parseUri(uriText, "source");
    return providers.source(uri.getScheme()).openSource(uri, job.sourceOptions(), context);
  }

  private List<Transform> createTransforms(List<BackupJob.TransformRef> refs) {
    List<Transform> out = new ArrayList<>();
    for (BackupJob.TransformRef ref : refs) {
      out.add(ref.instance() != null ? ref.instance() : providers.transform(ref.name()).create(ref.parameters(), context));
    }
    return out;
  }

  private void writePending(BackupSink sink, BackupId id, String set, String operation) throws IOException {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("backupSet", set);
    m.put("operation", operation);
    m.put("host", SetLock.hostName());
    m.put("pid", Long.toString(ProcessHandle.current().pid()));
    m.put("startedAt", Instant.now().toString());
    try (PartWriter w = sink.openWrite(Layout.pending(id), WriteMode.OVERWRITE)) {
      w.stream().write(ManifestCodec.writeSimple(m));
      w.commit();
    }
  }

  private void writeManifest(BackupSink sink, Manifest manifest) throws IOException {
    byte[] json = ManifestCodec.write(manifest);
    try (PartWriter w = sink.openWrite(Layout.manifest(manifest.id()), WriteMode.CREATE_ONLY)) {
      w.stream().write(json);
      w.commit();
    } catch (IOException | RuntimeException e) {
      // Neither an error answer nor "already exists" proves that our manifest is absent: a retried create-only write
      // whose first answer was lost finds its own manifest, and a lost response may follow a stored object. If our
      // manifest is there, the backup is committed, and discarding its parts would leave a visible backup without
      // data. Only someone else's manifest is a conflict; only a confirmed absence lets the caller discard.
      byte[] existing;
      try (InputStream in = sink.openRead(Layout.manifest(manifest.id()))) {
        existing = in.readAllBytes();
      } catch (NotFoundException absent) {
        throw e;
      } catch (IOException | RuntimeException unknown) {
        e.addSuppressed(unknown);
        throw new CommitOutcomeUnknownException("the commit of backup " + manifest.id() + " failed ("
            + Redaction.redact(String.valueOf(e.getMessage())) + ") and whether its manifest was stored is unknown; "
            + "its parts are kept, and the next backup of set " + manifest.backupSet() + " keeps or removes them", e);
      }
      if (!java.util.Arrays.equals(existing, json)) {
        throw new SinkException("backup id " + manifest.id() + " was committed by another writer; this run is discarded", e);
      }
      if (!(e instanceof AlreadyExistsException)) {
        LOG.warn("the commit of backup {} reported an error but its manifest was stored: {}", manifest.id(), e.toString());
      }
    }
  }

  /** The manifest write failed and the manifest may exist: the run's parts must not be discarded. */
  private static final class CommitOutcomeUnknownException extends SinkException {
    private static final long serialVersionUID = 1L;

    CommitOutcomeUnknownException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private void discard(BackupSink sink, Set<String> keys, BackupId id, boolean pending) {
    try {
      List<String> all = new ArrayList<>(keys);
      try (Stream<ObjectInfo> s = sink.list(Layout.dataPrefix(id))) {
        s.map(ObjectInfo::key).filter(k -> !keys.contains(k)).forEach(all::add);
      }
      sink.deleteAll(all);
      if (pending) {
        sink.delete(Layout.pending(id));
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not remove the parts of failed backup {} ({}); the next backup of the same set removes them", id, e.toString());
    }
  }

  /** Removes leftovers of dead runs of {@code set}. Must hold the set's lock. */
  private void cleanOrphans(BackupSink sink, String set, BackupId current, Operation op) throws IOException {
    List<String> markers;
    try (Stream<ObjectInfo> s = sink.list(Layout.PENDING)) {
      markers = s.map(ObjectInfo::key).toList();
    }
    for (String key : markers) {
      BackupId orphan = Layout.idOf(key, Layout.PENDING);
      if (orphan == null || orphan.equals(current)) {
        continue;
      }
      Map<String, String> marker;
      try (InputStream in = sink.openRead(key)) {
        marker = ManifestCodec.readSimple(in.readAllBytes(), key);
      } catch (NotFoundException e) {
        continue;
      } catch (IntegrityException e) {
        marker = Map.of();
      }
      if (!set.equals(marker.get("backupSet"))) {
        continue; // another set's run: its own next run (holding its own lock) cleans it
      }
      List<String> keys;
      try (Stream<ObjectInfo> s = sink.list(Layout.dataPrefix(orphan))) {
        keys = s.map(ObjectInfo::key).toList();
      }
      boolean hasManifest = sink.stat(Layout.manifest(orphan)).isPresent();
      if (hasManifest && !"delete".equals(marker.get("operation"))) {
        // committed, only the marker removal was lost
        sink.delete(key);
        continue;
      }
      if (hasManifest) {
        sink.delete(Layout.manifest(orphan));
      }
      sink.deleteAll(keys);
      sink.delete(key);
      events.emit(new BackupEvent.Warning(op, current, "removed " + keys.size() + " object(s) left by interrupted "
          + marker.getOrDefault("operation", "run") + " " + orphan + " (host " + marker.getOrDefault("host", "?")
          + " pid " + marker.getOrDefault("pid", "?") + ")"));
    }
  }

  // ---------------------------------------------------------------------------------------------------- catalog

  /** Every committed backup in the repository, oldest first. */
  public List<Manifest> list() {
    try {
      BackupSink sink = sink(false);
      ensureRepository(sink, false);
      List<String> keys;
      try (Stream<ObjectInfo> s = sink.list(Layout.CATALOG)) {
        keys = s.map(ObjectInfo::key).filter(k -> Layout.idOf(k, Layout.CATALOG) != null).toList();
      }
      List<Manifest> out = new ArrayList<>();
      for (String key : keys) {
        try (InputStream in = sink.openRead(key)) {
          out.add(ManifestCodec.readCatalog(in.readAllBytes(), key));
        } catch (NotFoundException e) {
          // deleted while listing
        }
      }
      out.sort(Comparator.comparing(Manifest::startedAt).thenComparing(Manifest::id));
      return out;
    } catch (IOException e) {
      throw new SinkException("listing backups in " + describeRepository() + " failed: " + e.getMessage(), e);
    }
  }

  /** The committed backups of one backup set, oldest first. */
  public List<Manifest> list(String backupSet) {
    return list().stream().filter(m -> m.backupSet().equals(backupSet)).toList();
  }

  /**
   * The manifest of a backup.
   *
   * @throws NotFoundException if there is no committed backup with this id
   */
  public Manifest manifest(BackupId id) {
    try {
      BackupSink sink = sink(false);
      ensureRepository(sink, false);
      try (InputStream in = sink.openRead(Layout.manifest(id))) {
        return ManifestCodec.readCatalog(in.readAllBytes(), Layout.manifest(id));
      }
    } catch (NotFoundException e) {
      throw new NotFoundException("no backup " + id + " in " + describeRepository() + "; `backup4j list` shows the backups", e);
    } catch (IOException e) {
      throw new SinkException("reading the manifest of " + id + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Resolves a backup given by a user: an id, or {@code latest} for the newest backup.
   *
   * @throws NotFoundException if there is none
   */
  public Manifest resolve(String idOrLatest) {
    if ("latest".equals(idOrLatest)) {
      return latest().orElseThrow(() -> new NotFoundException("there is no backup in " + describeRepository()));
    }
    return manifest(BackupId.of(idOrLatest));
  }

  /**
   * The newest backup of the whole repository (the last one {@link #list()} returns), if any. In a repository shared
   * by several backup sets this may be another source's backup; {@link #latest(String)} picks within one set.
   */
  public Optional<Manifest> latest() {
    List<Manifest> all = list();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /**
   * The newest backup of one backup set, if the set has any; never a backup of another set, however much newer.
   *
   * @throws NotFoundException if the location is not a backup4j repository
   */
  public Optional<Manifest> latest(String backupSet) {
    Objects.requireNonNull(backupSet, "backupSet is null");
    return list(backupSet).stream().reduce((a, b) -> b);
  }

  /**
   * The newest backup of the whole repository that finished at or before {@code time}: a backup whose
   * {@link Manifest#finishedAt()} equals {@code time} counts, one still running at {@code time} does not. Across all
   * backup sets, so in a shared repository it may be another source's backup: a point-in-time restore of one source
   * wants {@link #latestBefore(String, Instant)}.
   */
  public Optional<Manifest> latestBefore(Instant time) {
    Objects.requireNonNull(time, "time is null");
    return list().stream().filter(m -> !m.finishedAt().isAfter(time)).reduce((a, b) -> b);
  }

  /**
   * The newest backup of one backup set that finished at or before {@code time} (a backup whose
   * {@link Manifest#finishedAt()} equals {@code time} counts): where a point-in-time restore of that source to
   * {@code time} starts. Never a backup of another set, even one that finished closer to {@code time}.
   *
   * @return empty if the set has no backup that finished by {@code time}
   * @throws NotFoundException if the location is not a backup4j repository
   */
  public Optional<Manifest> latestBefore(String backupSet, Instant time) {
    Objects.requireNonNull(backupSet, "backupSet is null");
    Objects.requireNonNull(time, "time is null");
    return list(backupSet).stream().filter(m -> !m.finishedAt().isAfter(time)).reduce((a, b) -> b);
  }

  // ---------------------------------------------------------------------------------------------------- restore

  /**
   * Restores a backup into a target. Every part is verified while read; with {@link RestoreJob#verifyFirst()} the
   * whole backup is verified before the target receives a byte.
   *
   * @throws IntegrityException if a part is missing, damaged or cannot be decoded (with the right keys)
   */
  public void restore(BackupId id, RestoreJob job) {
    restore(id, job, null, null);
  }

  /**
   * Opens {@code job}'s target before the backup to restore is chosen, so that what the target does first without
   * the backup overlaps choosing it (reading the catalog, e.g. to find the latest backup of a set). For PostgreSQL
   * that is connecting and authenticating, on a thread of its own. The target's provider is the one installed for
   * the target's URI scheme; a target without one (a directory) is opened by {@link PreparedRestore#restore} as
   * {@link #restore(BackupId, RestoreJob)} would. Close the result if it is not used.
   *
   * @throws io.backup4j.api.ConfigurationException if the target or its options are invalid
   */
  public PreparedRestore prepareRestore(RestoreJob job) {
    Objects.requireNonNull(job, "job is null");
    String scheme = schemeOf(job.target());
    if (scheme == null || !providers.sourceNames().contains(scheme)) {
      return new PreparedRestore(this, job, null, null);
    }
    SourceProvider provider = providers.source(scheme);
    return new PreparedRestore(this, job, provider, provider.openTarget(job.target(), job.targetOptions(), context));
  }

  /** The URI scheme of a restore target, lower case, or null (a path; a drive letter is no scheme). */
  private static @Nullable String schemeOf(String target) {
    int colon = target.indexOf(':');
    if (colon < 2 || !target.substring(0, colon).matches("[A-Za-z][A-Za-z0-9+.-]*")) {
      return null;
    }
    return target.substring(0, colon).toLowerCase(Locale.ROOT);
  }

  /**
   * The restore itself; {@code early}, if given, is a target {@code earlyProvider} opened for {@code job} before
   * the backup was chosen. It is used if the backup's kind has that provider, and closed in any case.
   */
  void restore(BackupId id, RestoreJob job, @Nullable SourceProvider earlyProvider, @Nullable RestoreTarget early) {
    Instant started = Instant.now();
    Manifest manifest;
    try {
      manifest = manifest(id);
    } catch (RuntimeException | Error e) {
      closeQuietly(early, "restore target");
      throw e;
    }
    events.emit(new BackupEvent.Started(Operation.RESTORE, id, manifest.sourceIdentity() + " -> " + Redaction.redact(job.target())));
    RestoreSessionImpl session = null;
    RestoreTarget target = early;
    try {
      if (job.verifyFirst()) {
        verify(id, job.transformOptions());
      }
      SourceProvider provider = providers.source(manifest.sourceKind());
      if (target != null && provider != earlyProvider) {
        // a backup of another kind than the target's scheme names: its own provider judges the target
        RestoreTarget other = target;
        target = null;
        other.close();
      }
      if (target == null) {
        target = provider.openTarget(job.target(), job.targetOptions(), context);
      }
      try (RestoreTarget t = target) {
        target = null; // closed by this block
        List<Transform> transforms = restoreTransforms(manifest, job.transformOptions());
        session = new RestoreSessionImpl(manifest, sink(false), transforms, job.cancellation());
        t.restore(session);
      }
      job.cancellation().throwIfCancelled();
      session.verifyPartsReadOnlyInPart();
      events.emit(new BackupEvent.Finished(Operation.RESTORE, id, manifest.rawSize(), manifest.storedSize(),
          Duration.between(started, Instant.now())));
    } catch (RuntimeException | IOException | Error e) {
      closeQuietly(target, "restore target");
      BackupException failure = asBackupException(e, "restore of backup " + id);
      events.emit(new BackupEvent.Failed(Operation.RESTORE, id, failure));
      throw failure;
    } finally {
      if (session != null) {
        session.deleteTemp();
      }
    }
  }

  private List<Transform> restoreTransforms(Manifest manifest, Map<String, Map<String, String>> options) {
    List<Transform> out = new ArrayList<>();
    for (TransformSpec spec : manifest.transforms()) {
      Map<String, String> params = new TreeMap<>(spec.parameters());
      params.putAll(options.getOrDefault(spec.name(), Map.of()));
      out.add(providers.transform(spec.name()).create(params, context));
    }
    return out;
  }

  /**
   * Opens one part of a backup as raw bytes, decoded and verified as in a restore; for tools and targets outside
   * the provider model.
   */
  public InputStream openPart(BackupId id, String part, Map<String, Map<String, String>> transformOptions) throws IOException {
    Manifest m = manifest(id);
    PartInfo info = m.part(part).orElseThrow(() -> new NotFoundException("backup " + id + " has no part '" + part
        + "'; its parts are " + m.parts().stream().map(PartInfo::name).toList()));
    return PartChain.openRaw(sink(false), info, restoreTransforms(m, transformOptions), id.value());
  }

  private final class RestoreSessionImpl implements RestoreSession {
    private final Manifest manifest;
    private final BackupSink sink;
    private final List<Transform> transforms;
    private final Cancellation cancellation;
    private @Nullable Path temp;
    /** Parts handed to the target, and those it read to their verified end at least once. */
    private final Set<String> opened = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final Set<String> verified = java.util.concurrent.ConcurrentHashMap.newKeySet();

    RestoreSessionImpl(Manifest manifest, BackupSink sink, List<Transform> transforms, Cancellation cancellation) {
      this.manifest = manifest;
      this.sink = sink;
      this.transforms = transforms;
      this.cancellation = cancellation;
    }

    @Override
    public Manifest manifest() {
      return manifest;
    }

    @Override
    public InputStream openPart(String name) throws IOException {
      cancellation.throwIfCancelled();
      PartInfo part = manifest.part(name).orElseThrow(() -> new NotFoundException("backup " + manifest.id()
          + " has no part '" + name + "'; its parts are " + manifest.parts().stream().map(PartInfo::name).toList()));
      events.emit(new BackupEvent.PartStarted(Operation.RESTORE, manifest.id(), name, part.rawSize()));
      InputStream raw = PartChain.openRaw(sink, part, transforms, manifest.id().value());
      opened.add(name);
      return new java.io.FilterInputStream(raw) {
        private long bytes;
        private long next = 4 << 20;
        private boolean finished;

        @Override
        public int read() throws IOException {
          byte[] one = new byte[1];
          int n = read(one, 0, 1);
          return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
          cancellation.throwIfCancelled();
          int n = in.read(b, off, len);
          if (n > 0) {
            bytes += n;
            if (bytes >= next) {
              next = bytes + (4 << 20);
              events.emit(new BackupEvent.PartProgress(Operation.RESTORE, manifest.id(), name, bytes, part.rawSize()));
            }
          } else if (n < 0 && !finished) {
            finished = true; // verified by now: the chain checks before returning end-of-stream
            verified.add(name);
            events.emit(new BackupEvent.PartFinished(Operation.RESTORE, manifest.id(), part));
          }
          return n;
        }
      };
    }

    /**
     * Reads to the end every part the target stopped reading early (its format ended before the part did), so that
     * the bytes it consumed are checked against the manifest too: a success must never hide damaged data.
     *
     * @throws IntegrityException naming the part if it does not verify
     */
    void verifyPartsReadOnlyInPart() throws IOException {
      byte[] buf = new byte[64 << 10];
      for (PartInfo part : manifest.parts()) {
        if (!opened.contains(part.name()) || verified.contains(part.name())) {
          continue;
        }
        try (InputStream in = PartChain.openRaw(sink, part, transforms, manifest.id().value())) {
          while (in.read(buf) >= 0) {
            cancellation.throwIfCancelled();
          }
        } catch (IntegrityException e) {
          throw new IntegrityException(e.getMessage() + "; the restore target had read only the start of this part, "
              + "so what it restored may be damaged: do not use it", e);
        }
      }
    }

    @Override
    public void progress(String unit, long done, long total, String message) {
      events.emit(new BackupEvent.SourceProgress(Operation.RESTORE, manifest.id(), unit, done, total, message));
    }

    @Override
    public void warn(String message) {
      events.emit(new BackupEvent.Warning(Operation.RESTORE, manifest.id(), message));
    }

    @Override
    public Cancellation cancellation() {
      return cancellation;
    }

    @Override
    public synchronized Path temporaryDirectory() throws IOException {
      if (temp == null) {
        temp = TempDirs.create(temporaryDirectory, "backup4j-restore-");
      }
      return temp;
    }

    synchronized void deleteTemp() {
      if (temp != null) {
        try {
          TempDirs.deleteTree(temp);
        } catch (IOException e) {
          LOG.warn("could not delete temporary directory {}: {}", temp, e.toString());
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------- verify

  /** Verifies a backup with no extra transform options; see {@link #verify(BackupId, Map)}. */
  public VerifyReport verify(BackupId id) {
    return verify(id, Map.of());
  }

  /**
   * Reads every part of a backup back, decodes it through the transform chain and checks length and SHA-256 of the
   * stored and the decoded bytes, without restoring anything. All parts are checked before a failure is reported.
   *
   * @param transformOptions extra parameters per transform (the decryption key)
   * @throws IntegrityException naming every part that is missing, damaged or undecodable
   */
  public VerifyReport verify(BackupId id, Map<String, Map<String, String>> transformOptions) {
    Manifest manifest = manifest(id);
    return verifyWith(manifest, restoreTransforms(manifest, transformOptions));
  }

  private VerifyReport verifyWith(Manifest manifest, List<Transform> transforms) {
    Instant started = Instant.now();
    BackupId id = manifest.id();
    events.emit(new BackupEvent.Started(Operation.VERIFY, id, manifest.sourceIdentity()));
    BackupSink sink = sink(false);
    List<String> failures = new ArrayList<>();
    List<BackupException> causes = new ArrayList<>();
    byte[] buf = new byte[64 << 10];
    for (PartInfo part : manifest.parts()) {
      events.emit(new BackupEvent.PartStarted(Operation.VERIFY, id, part.name(), part.rawSize()));
      try (InputStream in = PartChain.openRaw(sink, part, transforms, id.value())) {
        while (in.read(buf) >= 0) {
          // reading to the end is the check: the chain verifies before returning end-of-stream
        }
        events.emit(new BackupEvent.PartFinished(Operation.VERIFY, id, part));
      } catch (IntegrityException e) {
        failures.add(e.getMessage());
        causes.add(e);
      } catch (IOException | RuntimeException e) {
        BackupException be = asBackupException(e, "verify of part '" + part.name() + "'");
        if (be.code().category() != ErrorCode.Category.INTEGRITY) {
          events.emit(new BackupEvent.Failed(Operation.VERIFY, id, be));
          throw be;
        }
        failures.add(be.getMessage());
        causes.add(be);
      }
    }
    if (!failures.isEmpty()) {
      IntegrityException e = new IntegrityException("backup " + id + " failed verification: " + String.join("; ", failures),
          causes.get(0));
      events.emit(new BackupEvent.Failed(Operation.VERIFY, id, e));
      throw e;
    }
    events.emit(new BackupEvent.Finished(Operation.VERIFY, id, manifest.rawSize(), manifest.storedSize(),
        Duration.between(started, Instant.now())));
    return new VerifyReport(manifest, manifest.parts().size(), manifest.rawSize(), manifest.storedSize(),
        Duration.between(started, Instant.now()));
  }

  /**
   * The result of a successful verification.
   *
   * @param manifest the verified backup
   * @param parts parts checked
   * @param rawBytes decoded bytes checked
   * @param storedBytes stored bytes checked
   * @param elapsed time taken
   */
  public record VerifyReport(Manifest manifest, int parts, long rawBytes, long storedBytes, Duration elapsed) {}

  // ---------------------------------------------------------------------------------------------------- delete

  /**
   * Deletes a backup: first its manifest (so it is invisible at once), then its parts. Refuses to delete a backup
   * that another backup depends on.
   *
   * @throws NotFoundException if there is no such backup
   * @throws ConfigurationException if another backup depends on it
   */
  public void delete(BackupId id) {
    Manifest manifest = manifest(id);
    BackupSink sink = sink(false);
    try (SetLock lock = SetLock.acquire(sink, manifest.backupSet(), lockLease, "delete " + id,
        msg -> events.emit(new BackupEvent.Warning(Operation.DELETE, id, msg)))) {
      // checked under the lock: a backup of the set that committed before we got it may depend on this one
      List<Manifest> dependents = list().stream().filter(m -> id.equals(m.parentId())).toList();
      if (!dependents.isEmpty()) {
        throw new ConfigurationException("backup " + id + " cannot be deleted: backups "
            + dependents.stream().map(m -> m.id().value()).toList() + " depend on it; delete them first");
      }
      deleteLocked(sink, manifest, Operation.DELETE);
    } catch (IOException e) {
      throw new SinkException("deleting backup " + id + " failed: " + e.getMessage() + "; run delete again", e);
    }
  }

  private void deleteLocked(BackupSink sink, Manifest manifest, Operation op) throws IOException {
    BackupId id = manifest.id();
    // Ask before changing anything: a backup under retention (S3 Object Lock) must not end up half-deleted.
    Instant now = Instant.now();
    List<String> keys0 = new ArrayList<>();
    keys0.add(Layout.manifest(id));
    manifest.parts().forEach(p -> keys0.add(p.key()));
    for (String key : keys0) {
      Optional<Instant> until = sink.retainedUntil(key);
      if (until.isPresent() && until.get().isAfter(now)) {
        throw new io.backup4j.api.AccessDeniedException("backup " + id + " is protected from deletion until " + until.get()
            + ": object " + key + " is under retention (Object Lock); it can be deleted after that date");
      }
    }
    events.emit(new BackupEvent.Started(op, id, "delete " + id));
    writePending(sink, id, manifest.backupSet(), "delete");
    try {
      sink.delete(Layout.manifest(id));
    } catch (IOException | RuntimeException e) {
      // the backup is still complete and visible: the marker must not make the next run finish this delete
      sink.delete(Layout.pending(id));
      throw e;
    }
    List<String> keys;
    try (Stream<ObjectInfo> s = sink.list(Layout.dataPrefix(id))) {
      keys = s.map(ObjectInfo::key).collect(Collectors.toCollection(ArrayList::new));
    }
    sink.deleteAll(keys);
    sink.delete(Layout.pending(id));
    events.emit(new BackupEvent.Finished(op, id, manifest.rawSize(), manifest.storedSize(), Duration.ZERO));
  }

  // ---------------------------------------------------------------------------------------------------- retention

  /**
   * Applies a retention policy to a backup set and returns the ids deleted. The newest backup and every backup a
   * kept backup depends on are never deleted, whatever the policy says.
   */
  public List<BackupId> applyRetention(String backupSet, RetentionPolicy policy) {
    BackupSink sink = sink(false);
    BackupId marker = BackupId.generate(Instant.now());
    try (SetLock lock = SetLock.acquire(sink, backupSet, lockLease, "retention",
        msg -> events.emit(new BackupEvent.Warning(Operation.RETENTION, marker, msg)))) {
      return applyRetentionLocked(sink, backupSet, policy, marker);
    } catch (IOException e) {
      throw new SinkException("applying retention to " + backupSet + " failed: " + e.getMessage(), e);
    }
  }

  private List<BackupId> applyRetentionLocked(BackupSink sink, String set, RetentionPolicy policy, BackupId current) {
    List<Manifest> newestFirst = new ArrayList<>(list(set));
    java.util.Collections.reverse(newestFirst);
    if (newestFirst.isEmpty()) {
      return List.of();
    }
    Set<BackupId> expired = new HashSet<>(policy.expired(List.copyOf(newestFirst), Instant.now()));
    expired.remove(newestFirst.get(0).id());
    // after a backup, the backup just reported as taken: with another host's clock ahead it need not sort newest
    expired.remove(current);
    // keep the ancestry of everything kept
    Map<BackupId, Manifest> byId = new HashMap<>();
    newestFirst.forEach(m -> byId.put(m.id(), m));
    boolean changed = true;
    while (changed) {
      changed = false;
      for (Manifest m : newestFirst) {
        if (!expired.contains(m.id()) && m.parentId() != null && expired.remove(m.parentId())) {
          changed = true;
        }
      }
    }
    List<BackupId> deleted = new ArrayList<>();
    for (Manifest m : newestFirst) {
      if (!expired.contains(m.id())) {
        continue;
      }
      try {
        deleteLocked(sink, m, Operation.RETENTION);
        deleted.add(m.id());
      } catch (IOException | RuntimeException e) {
        events.emit(new BackupEvent.Warning(Operation.RETENTION, current, "retention (" + policy.describe()
            + ") could not delete backup " + m.id() + ": " + e.getMessage()));
        // it may still be there (protected, or the storage failed before its manifest went): whatever it depends on
        // stays, or it would be left unrestorable. Ancestors started earlier, so they come later in this loop.
        Manifest a = m;
        for (int depth = 0; depth < newestFirst.size() && a.parentId() != null && byId.containsKey(a.parentId()); depth++) {
          expired.remove(a.parentId());
          a = byId.get(a.parentId());
        }
      }
    }
    return deleted;
  }

  /**
   * Reclaims space held by interrupted writes older than {@code olderThan} (incomplete S3 multipart uploads,
   * orphaned temporary files); see {@link BackupSink#cleanup(Duration)}.
   *
   * @return how many leftovers were removed
   */
  public int cleanupIncompleteWrites(Duration olderThan) {
    try {
      BackupSink sink = sink(false);
      ensureRepository(sink, false);
      return sink.cleanup(olderThan);
    } catch (IOException e) {
      throw new SinkException("cleaning up " + describeRepository() + " failed: " + e.getMessage(), e);
    }
  }

  /**
   * Breaks the lock of a backup set, whoever holds it. Only for a lock left by a process known to be dead.
   *
   * @return a description of the holder whose lock was removed, or empty if the set was not locked
   */
  public Optional<String> breakLock(String backupSet) {
    try {
      return SetLock.forceBreak(sink(false), backupSet).map(h -> h.getOrDefault("host", "?") + " pid " + h.getOrDefault("pid", "?"));
    } catch (IOException e) {
      throw new SinkException("breaking the lock of " + backupSet + " failed: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------------------------------------------- plumbing

  private BackupSink sink(boolean create) {
    synchronized (sinkLock) {
      if (sink != null && (sinkCreatable || !create)) {
        return sink;
      }
      if (repositoryUri == null) {
        throw new ConfigurationException("no repository: call repository(uri) or sink(BackupSink) on the builder");
      }
      URI uri = parseUri(repositoryUri, "repository");
      BackupSink opened = providers.sink(uri.getScheme()).open(uri, repositoryOptions, create, context);
      if (sink != null) {
        // other threads may be reading through it (a restore, a verify): it is closed with this instance
        replacedSinks.add(sink);
      }
      sink = opened;
      sinkCreatable = create;
      return opened;
    }
  }

  private void ensureRepository(BackupSink sink, boolean create) throws IOException {
    if (repositoryChecked || sink.stat(Layout.MARKER).isPresent()) {
      repositoryChecked = true;
      return;
    }
    if (!create) {
      throw new NotFoundException(sink.describe() + " is not a backup4j repository (it has no " + Layout.MARKER
          + "); check the URI, or take a first backup to create it");
    }
    try (Stream<ObjectInfo> s = sink.list("")) {
      Optional<ObjectInfo> other = s.findFirst();
      if (other.isPresent()) {
        throw new ConfigurationException(sink.describe() + " is not empty and is not a backup4j repository (found "
            + other.get().key() + "); choose an empty location for a new repository");
      }
    }
    try (PartWriter w = sink.openWrite(Layout.MARKER, WriteMode.CREATE_ONLY)) {
      w.stream().write(ManifestCodec.writeSimple(Map.of("formatVersion", "1", "createdAt", Instant.now().toString(),
          "producer", PRODUCER)));
      w.commit();
    } catch (AlreadyExistsException e) {
      // created concurrently: fine
    }
    repositoryChecked = true;
  }

  private String describeRepository() {
    return repositoryUri != null ? Redaction.redact(repositoryUri) : (sink != null ? sink.describe() : "the repository");
  }

  /** Parses a component URI, tolerating characters (spaces) that URIs must escape. */
  static URI parseUri(String text, String what) {
    try {
      URI uri = new URI(text);
      if (uri.getScheme() == null) {
        throw new ConfigurationException("the " + what + " '" + Redaction.redact(text) + "' has no scheme; write it as a URI such as "
            + (what.equals("repository") ? "file:/var/backups/repo or s3://bucket/prefix" : "files:/srv/media or postgres://host/db"));
      }
      return uri;
    } catch (URISyntaxException e) {
      int colon = text.indexOf(':');
      if (colon > 0) {
        try {
          return new URI(text.substring(0, colon), text.substring(colon + 1), null);
        } catch (URISyntaxException e2) {
          // fall through to the error below
        }
      }
      throw new ConfigurationException("the " + what + " '" + Redaction.redact(text) + "' is not a valid URI: " + e.getReason());
    }
  }

  static BackupException asBackupException(Throwable e, String what) {
    if (e instanceof BackupException be) {
      return be;
    }
    if (e instanceof UncheckedIOException u) {
      e = u.getCause();
    }
    if (e instanceof IOException) {
      return new SinkException(what + " failed: " + Redaction.redact(String.valueOf(e.getMessage())), e);
    }
    if (e instanceof Error err && !(e instanceof OutOfMemoryError) && !(e instanceof StackOverflowError)) {
      throw err;
    }
    return new BackupException(ErrorCode.INTERNAL, what + " failed unexpectedly: " + Redaction.redact(e.toString()), e);
  }

  private static void closeQuietly(@Nullable AutoCloseable c, String what) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      LOG.warn("closing the {} failed: {}", what, e.toString());
    }
  }

  private static String version() {
    String v = Backups.class.getPackage().getImplementationVersion();
    return v != null ? v : "0.1.0-SNAPSHOT";
  }

  /** Closes the storage client if this instance opened it. */
  @Override
  public void close() {
    synchronized (sinkLock) {
      if (ownsSink) {
        closeQuietly(sink, "sink");
        replacedSinks.forEach(s -> closeQuietly(s, "sink"));
      }
      replacedSinks.clear();
      sink = null;
    }
  }

  /** Builds {@link Backups}. */
  public static final class Builder {
    private @Nullable String repositoryUri;
    private final Map<String, String> repositoryOptions = new LinkedHashMap<>();
    private @Nullable BackupSink sink;
    private @Nullable Providers providers;
    private BackupListener listener = BackupListener.NONE;
    private final Map<String, String> environment = new HashMap<>();
    private final Map<String, Secret> secrets = new HashMap<>();
    private Path temporaryDirectory = Path.of(System.getProperty("java.io.tmpdir"));
    private int parallelism = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    private Duration lockLease = Duration.ofMinutes(10);

    private Builder() {}

    /** The repository by URI, e.g. {@code file:/var/backups/repo} or {@code s3://bucket/prefix}. */
    public Builder repository(String uri) {
      this.repositoryUri = Objects.requireNonNull(uri, "uri is null");
      return this;
    }

    /** An option for the repository's sink provider. */
    public Builder repositoryOption(String key, String value) {
      repositoryOptions.put(key, value);
      return this;
    }

    /** A sink instance the application opened itself (not closed by {@link Backups#close()}). */
    public Builder sink(BackupSink sink) {
      this.sink = Objects.requireNonNull(sink, "sink is null");
      return this;
    }

    /** The plugins to use; by default {@link Providers#load()}. */
    public Builder providers(Providers providers) {
      this.providers = Objects.requireNonNull(providers, "providers is null");
      return this;
    }

    /** Receives progress and lifecycle events. */
    public Builder listener(BackupListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener is null");
      return this;
    }

    /** An environment variable for providers, overriding the process environment. */
    public Builder environment(String name, String value) {
      environment.put(name, value);
      return this;
    }

    /** A secret providers can ask for by name (e.g. {@code aes-gcm.key}, {@code postgres.password}). */
    public Builder secret(String name, Secret secret) {
      secrets.put(name, secret);
      return this;
    }

    /** Where private temporary directories are created; by default {@code java.io.tmpdir}. */
    public Builder temporaryDirectory(Path dir) {
      this.temporaryDirectory = Objects.requireNonNull(dir, "dir is null");
      return this;
    }

    /** How many parts sources may write at once. */
    public Builder parallelism(int parallelism) {
      if (parallelism < 1) {
        throw new ConfigurationException("parallelism must be at least 1, was " + parallelism);
      }
      this.parallelism = parallelism;
      return this;
    }

    /** How long a lock lives without renewal before others may break it; default 10 minutes. */
    public Builder lockLease(Duration lease) {
      if (lease.toSeconds() < 1) {
        throw new ConfigurationException("lock lease must be at least one second");
      }
      this.lockLease = lease;
      return this;
    }

    /** Builds the instance; the repository is opened on first use. */
    public Backups build() {
      if (repositoryUri == null && sink == null) {
        throw new ConfigurationException("no repository: call repository(uri) or sink(BackupSink)");
      }
      return new Backups(this);
    }
  }
}
