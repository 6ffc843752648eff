package io.backup4j.storage.local;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.BackupSink;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.ObjectInfo;
import io.backup4j.api.PartWriter;
import io.backup4j.api.SinkException;
import io.backup4j.api.SinkFeature;
import io.backup4j.api.StorageKeys;
import io.backup4j.api.WriteMode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A repository in a local directory: each key {@code a/b/c} is the file {@code <root>/a/b/c}.
 *
 * <p>Durability and atomicity: a write goes to a hidden temporary file {@code .backup4j-tmp-<random>} (mode 0600) in
 * the target directory; {@link PartWriter#commit()} flushes it, {@code fsync}s it, renames it onto the key (or, for
 * {@link WriteMode#CREATE_ONLY}, hard-links it, which fails atomically if the key exists) and {@code fsync}s the
 * directory, so after a crash a key holds either nothing, the old object or the complete new one. Temporary files
 * are never listed; those older than the configured age (left by killed processes) are removed when the sink opens.
 *
 * <p>Confinement: every key passes {@link StorageKeys#validate(String)}, and the real path of every directory a key
 * resolves to must lie under the repository's real path, so neither {@code ..} nor a symbolic link inside the
 * repository can make a read, write or delete touch a file outside it. Directories are created with mode 0700 and
 * removed again once the last object in them is deleted.
 *
 * <p>A local repository cannot hold both {@code a} and {@code a/b} (a file and a directory of one name); such a write
 * fails with a {@link SinkException}. The engine's key layout never does this.
 */
public final class LocalSink implements BackupSink {
  /** The name prefix of temporary files; keys whose last segment starts with it are refused. */
  public static final String TEMP_PREFIX = ".backup4j-tmp-";

  private static final Logger LOG = LoggerFactory.getLogger(LocalSink.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int BUFFER = 64 * 1024;
  private static final int CREATE_ATTEMPTS = 10;

  private final Path root;
  private final boolean posix;
  private final FileAttribute<?>[] fileMode;
  private final FileAttribute<?>[] dirMode;
  private volatile @Nullable Boolean hardLinks;
  private volatile boolean dirSyncUnsupportedReported;

  private LocalSink(Path root) {
    this.root = root;
    this.posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    this.fileMode = posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
        : new FileAttribute<?>[0];
    this.dirMode = posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))}
        : new FileAttribute<?>[0];
  }

  /**
   * Opens the existing directory {@code directory} as a repository and removes temporary files older than
   * {@code staleTempAge}.
   *
   * @throws NotFoundException if the directory does not exist
   * @throws SinkException if it cannot be read
   */
  public static LocalSink open(Path directory, Duration staleTempAge) {
    Objects.requireNonNull(directory, "directory is null");
    Objects.requireNonNull(staleTempAge, "staleTempAge is null");
    Path real;
    try {
      real = directory.toRealPath();
    } catch (NoSuchFileException e) {
      throw new NotFoundException("no repository at " + directory + ": the directory does not exist. Run a backup "
          + "first to create it, or fix the repository path");
    } catch (IOException e) {
      throw failure("cannot open the repository " + directory, e);
    }
    if (!Files.isDirectory(real)) {
      throw new ConfigurationException("the repository " + directory + " is not a directory");
    }
    LocalSink sink = new LocalSink(real);
    sink.removeStaleTempFiles(staleTempAge);
    return sink;
  }

  /** The repository directory (its real path). */
  public Path root() {
    return root;
  }

  @Override
  public String describe() {
    return root.toUri().toString();
  }

  @Override
  public String toString() {
    return "LocalSink[" + root + "]";
  }

  /**
   * {@link SinkFeature#RANGED_READ} always; {@link SinkFeature#CONDITIONAL_CREATE} where the file system supports hard
   * links (probed once in the repository).
   */
  @Override
  public Set<SinkFeature> features() {
    return hardLinksSupported()
        ? Set.copyOf(EnumSet.of(SinkFeature.CONDITIONAL_CREATE, SinkFeature.RANGED_READ))
        : Set.of(SinkFeature.RANGED_READ);
  }

  // ---------------------------------------------------------------------------------------------------------- write

  @Override
  public PartWriter openWrite(String key, WriteMode mode) throws IOException {
    Objects.requireNonNull(mode, "mode is null");
    Path target = resolve(key);
    Path dir = Objects.requireNonNull(target.getParent());
    for (int attempt = 1; ; attempt++) {
      Path temp = dir.resolve(TEMP_PREFIX + HexFormat.of().formatHex(randomBytes()));
      try {
        createDirectories(key, dir);
        FileChannel channel = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
            LinkOption.NOFOLLOW_LINKS), fileMode);
        return new LocalPartWriter(key, mode, target, temp, channel);
      } catch (NoSuchFileException e) {
        // A concurrent delete() pruned a directory (it looked empty) between our mkdir and the next step; build the
        // path again. Once our temporary file exists, the directory is no longer empty and cannot be pruned.
        if (attempt >= CREATE_ATTEMPTS) {
          throw failure("cannot create a temporary file for '" + key + "' in " + dir, e);
        }
      } catch (IOException e) {
        throw failure("cannot create a temporary file for '" + key + "' in " + dir, e);
      }
    }
  }

  private static byte[] randomBytes() {
    byte[] b = new byte[12];
    RANDOM.nextBytes(b);
    return b;
  }

  /**
   * Creates the directories of {@code key} below the root one by one (mode 0700) and checks that the result is really
   * inside the repository.
   *
   * @throws NoSuchFileException if a concurrent prune removed a directory on the way; the caller retries
   */
  private void createDirectories(String key, Path dir) throws IOException {
    if (!dir.equals(root)) {
      Path current = root;
      for (Path segment : root.relativize(dir)) {
        current = current.resolve(segment);
        try {
          Files.createDirectory(current, dirMode);
        } catch (FileAlreadyExistsException e) {
          if (!Files.isDirectory(current)) {
            if (!Files.exists(current)) {
              // it was a directory a moment ago and a concurrent prune of empty directories removed it since:
              // not a file in the way; the caller retries
              throw new NoSuchFileException(current.toString(), null, "removed by a concurrent prune");
            }
            throw new SinkException("cannot store '" + key + "': " + current + " is a file, and a local repository "
                + "cannot hold both an object and a directory of one name");
          }
        }
      }
    }
    if (!dir.toRealPath().startsWith(root)) {
      throw escape(key, dir);
    }
  }

  private final class LocalPartWriter implements PartWriter {
    private final String key;
    private final WriteMode mode;
    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final ChannelOutputStream stream;
    private boolean committed;
    private boolean finished;
    private boolean published;

    LocalPartWriter(String key, WriteMode mode, Path target, Path temp, FileChannel channel) {
      this.key = key;
      this.mode = mode;
      this.target = target;
      this.temp = temp;
      this.channel = channel;
      this.stream = new ChannelOutputStream(channel, BUFFER);
    }

    @Override
    public ChannelOutputStream stream() {
      return stream;
    }

    @Override
    public void commit() throws IOException {
      if (committed) {
        return;
      }
      if (finished) {
        throw new IllegalStateException("the write of '" + key + "' was aborted (closed or failed); open a new one");
      }
      finished = true;
      boolean ok = false;
      try {
        stream.flushToChannel();
        stream.seal();
        channel.force(true);
        channel.close();
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
          throw new SinkException("cannot store '" + key + "': " + target + " is a directory (it holds keys below '"
              + key + "/'), and a local repository cannot hold both an object and a directory of one name");
        }
        if (mode == WriteMode.CREATE_ONLY) {
          publishCreateOnly();
        } else {
          Files.move(temp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        published = true;
        syncDirectories(Objects.requireNonNull(target.getParent()));
        ok = true;
        committed = true;
      } catch (IOException e) {
        throw failure("cannot commit '" + key + "' to " + target, e);
      } finally {
        if (!ok) {
          discard();
        }
      }
    }

    private void publishCreateOnly() throws IOException {
      if (hardLinksSupported()) {
        try {
          // link(2) fails with EEXIST if the key exists, so of two racing writers exactly one wins.
          Files.createLink(target, temp);
        } catch (FileAlreadyExistsException e) {
          throw alreadyExists();
        }
        // The object is committed now; a leftover second name for it is only clutter, removed when stale.
        try {
          Files.delete(temp);
        } catch (IOException e) {
          LOG.warn("committed '{}' but could not remove its temporary name {}: {}", key, temp, e.toString());
        }
      } else {
        // No hard links here (some network and FUSE file systems): check, then rename. Not atomic, and
        // features() does not claim CONDITIONAL_CREATE.
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
          throw alreadyExists();
        }
        Files.move(temp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      }
    }

    private io.backup4j.api.AlreadyExistsException alreadyExists() {
      return new io.backup4j.api.AlreadyExistsException("'" + key + "' already exists in " + describe()
          + " and was written create-only; another writer committed it first");
    }

    @Override
    public void close() {
      if (finished) {
        return;
      }
      finished = true;
      discard();
    }

    private void discard() {
      if (published) {
        // Published but not made durable (a directory fsync failed): the commit failed, so the object must not stay
        // visible looking complete.
        try {
          Files.deleteIfExists(target);
        } catch (IOException e) {
          LOG.warn("could not remove {} after its commit failed; delete it: {}", target, e.toString());
        }
      }
      stream.seal();
      try {
        channel.close();
      } catch (IOException e) {
        LOG.debug("closing the temporary file {} failed", temp, e);
      }
      try {
        Files.deleteIfExists(temp);
      } catch (IOException e) {
        LOG.warn("could not delete the temporary file {} of an aborted write; it is removed when it is stale: {}",
            temp, e.toString());
      }
      pruneEmptyDirectories(temp.getParent());
    }
  }

  // ----------------------------------------------------------------------------------------------------------- read

  @Override
  public InputStream openRead(String key) throws IOException {
    return openRead(key, 0, Long.MAX_VALUE);
  }

  @Override
  public InputStream openRead(String key, long offset, long length) throws IOException {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("offset and length must be >= 0, not " + offset + " and " + length);
    }
    Path path = resolve(key);
    Path real = existingObject(key, path);
    FileChannel channel;
    try {
      channel = FileChannel.open(real, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw notFound(key);
    } catch (IOException e) {
      throw failure("cannot read '" + key + "' at " + path, e);
    }
    return new BufferedInputStream(new RangeInputStream(channel, offset, length), BUFFER);
  }

  /** Returns the real path of the regular file stored under {@code key}, or throws {@link NotFoundException}. */
  private Path existingObject(String key, Path path) {
    Path real = realPath(key, path);
    if (real == null || !Files.isRegularFile(real)) {
      throw notFound(key);
    }
    return real;
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    Path path = resolve(key);
    Path real = realPath(key, path);
    if (real == null) {
      return Optional.empty();
    }
    try {
      BasicFileAttributes a = Files.readAttributes(real, BasicFileAttributes.class);
      return a.isRegularFile() ? Optional.of(info(key, a)) : Optional.empty();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw failure("cannot stat '" + key + "' at " + path, e);
    }
  }

  private static ObjectInfo info(String key, BasicFileAttributes a) {
    return new ObjectInfo(key, a.size(), a.lastModifiedTime().toInstant());
  }

  // ----------------------------------------------------------------------------------------------------------- list

  /**
   * Lists regular files below the root whose keys start with {@code prefix}, walking directories lazily in key
   * order. Temporary files, symbolic links and names that are not valid keys are skipped.
   */
  @Override
  public Stream<ObjectInfo> list(String prefix) throws IOException {
    StorageKeys.validatePrefix(prefix);
    int slash = prefix.lastIndexOf('/');
    String dirPart = slash < 0 ? "" : prefix.substring(0, slash);
    String namePrefix = prefix.substring(slash + 1);
    Path start = dirPart.isEmpty() ? root : root.resolve(dirPart);
    if (!dirPart.isEmpty()) {
      if (realPath(dirPart, start) == null || !Files.isDirectory(start, LinkOption.NOFOLLOW_LINKS)) {
        return Stream.empty();
      }
    }
    Iterator<ObjectInfo> it = new ListIterator(start, dirPart.isEmpty() ? "" : dirPart + "/", namePrefix);
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it,
        Spliterator.ORDERED | Spliterator.SORTED | Spliterator.DISTINCT | Spliterator.NONNULL), false);
  }

  /** A sortable directory entry: files sort by name, directories by name + "/", which is the order of their keys. */
  private record Entry(String sortName, String name, boolean directory, @Nullable BasicFileAttributes attributes) {}

  private final class ListIterator implements Iterator<ObjectInfo> {
    private final Deque<Deque<Entry>> frames = new ArrayDeque<>();
    private final Deque<String> keyPrefixes = new ArrayDeque<>();
    private @Nullable ObjectInfo next;

    ListIterator(Path start, String keyPrefix, String namePrefix) {
      push(start, keyPrefix, namePrefix);
    }

    private void push(Path dir, String keyPrefix, String namePrefix) {
      List<Entry> entries = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path p : ds) {
          String name = p.getFileName().toString();
          if (!name.startsWith(namePrefix) || name.startsWith(TEMP_PREFIX)
              || !StorageKeys.isValid(keyPrefix + name)) {
            continue;
          }
          BasicFileAttributes a;
          try {
            a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          } catch (NoSuchFileException e) {
            continue; // deleted while we listed
          }
          if (a.isDirectory()) {
            entries.add(new Entry(name + "/", name, true, null));
          } else if (a.isRegularFile()) {
            entries.add(new Entry(name, name, false, a));
          }
        }
      } catch (NoSuchFileException e) {
        // the directory was removed after we found it: it holds nothing any more
      } catch (IOException e) {
        throw failure("cannot list " + dir + " in the repository", e);
      }
      entries.sort(Comparator.comparing(Entry::sortName));
      frames.push(new ArrayDeque<>(entries));
      keyPrefixes.push(keyPrefix);
    }

    @Override
    public boolean hasNext() {
      while (next == null && !frames.isEmpty()) {
        Deque<Entry> top = frames.peek();
        Entry e = top.poll();
        if (e == null) {
          frames.pop();
          keyPrefixes.pop();
          continue;
        }
        String keyPrefix = Objects.requireNonNull(keyPrefixes.peek());
        String key = keyPrefix + e.name();
        if (e.directory()) {
          push(root.resolve(key), key + "/", "");
        } else {
          next = info(key, Objects.requireNonNull(e.attributes()));
        }
      }
      return next != null;
    }

    @Override
    public ObjectInfo next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      ObjectInfo result = Objects.requireNonNull(next);
      next = null;
      return result;
    }
  }

  // --------------------------------------------------------------------------------------------------------- delete

  @Override
  public void delete(String key) throws IOException {
    Path path = resolve(key);
    Path dir = Objects.requireNonNull(path.getParent());
    try {
      checkConfined(key, dir);
    } catch (NotFoundException e) {
      return;
    }
    try {
      BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (a.isDirectory()) {
        return; // a directory is not an object: 'a' while 'a/b' exists
      }
      Files.delete(path);
      syncDirectory(dir);
    } catch (NoSuchFileException e) {
      return;
    } catch (FileSystemException e) {
      if (blockedByFile(path)) {
        return; // 'a/b' while 'a' is an object: there is nothing to delete
      }
      throw failure("cannot delete '" + key + "' at " + path, e);
    } catch (IOException e) {
      throw failure("cannot delete '" + key + "' at " + path, e);
    }
    pruneEmptyDirectories(dir);
  }

  /** Validates every key first, so a batch with an invalid key deletes nothing; then deletes one by one. */
  @Override
  public void deleteAll(java.util.Collection<String> keys) throws IOException {
    List<String> copy = List.copyOf(keys);
    for (String key : copy) {
      resolve(key);
    }
    for (String key : copy) {
      delete(key);
    }
  }

  /** Removes {@code dir} and its parents up to (not including) the root while they are empty. */
  private void pruneEmptyDirectories(Path dir) {
    Path current = dir;
    while (current != null && !current.equals(root) && current.startsWith(root)) {
      try {
        Files.delete(current); // rmdir(2): fails unless empty, so a concurrent writer's directory survives
      } catch (DirectoryNotEmptyException | NoSuchFileException e) {
        return;
      } catch (IOException e) {
        LOG.debug("could not remove the empty directory {}: {}", current, e.toString());
        return;
      }
      current = current.getParent();
    }
  }

  // ------------------------------------------------------------------------------------------------ stale temp files

  private void removeStaleTempFiles(Duration age) {
    Instant cutoff = Instant.now().minus(age);
    int[] removed = {0};
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          FileTime mtime = attrs.lastModifiedTime();
          if (attrs.isRegularFile() && file.getFileName().toString().startsWith(TEMP_PREFIX)
              && mtime.toInstant().isBefore(cutoff)) {
            try {
              Files.deleteIfExists(file);
              removed[0]++;
            } catch (IOException e) {
              LOG.warn("could not remove the stale temporary file {}: {}", file, e.toString());
            }
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException exc) {
          LOG.debug("skipping {} while looking for stale temporary files: {}", file, exc.toString());
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      LOG.warn("could not look for stale temporary files in {}: {}", root, e.toString());
    }
    if (removed[0] > 0) {
      LOG.warn("removed {} temporary file(s) older than {} left in {} by interrupted writes", removed[0], age, root);
    }
  }

  // ---------------------------------------------------------------------------------------------------------- paths

  /** Validates {@code key} and returns its path below the root, checked lexically. */
  private Path resolve(String key) {
    StorageKeys.validate(key);
    String last = key.substring(key.lastIndexOf('/') + 1);
    if (last.startsWith(TEMP_PREFIX)) {
      throw new ConfigurationException("invalid storage key '" + key + "': names starting with " + TEMP_PREFIX
          + " are reserved for temporary files of the file: repository");
    }
    Path path = root.resolve(key).normalize();
    if (!path.startsWith(root) || path.equals(root)) {
      throw new ConfigurationException("invalid storage key '" + key + "': it resolves outside the repository");
    }
    return path;
  }

  /**
   * Checks that the real path of {@code dir} (or of its closest existing ancestor) is under the root, so a symbolic
   * link inside the repository cannot lead a key outside it.
   *
   * @throws NotFoundException if {@code dir} does not exist
   */
  private void checkConfined(String key, Path dir) {
    if (realPath(key, dir) == null) {
      throw notFound(key);
    }
  }

  /**
   * The real path of {@code path}, or {@code null} if it does not exist (also when a component above it is a file, as
   * for {@code a/b} while {@code a} is an object).
   *
   * @throws SinkException if the real path lies outside the repository (a symbolic link leads out)
   */
  private @Nullable Path realPath(String key, Path path) {
    Path real;
    try {
      real = path.toRealPath();
    } catch (NoSuchFileException e) {
      return null;
    } catch (FileSystemException e) {
      if (blockedByFile(path)) {
        return null; // ENOTDIR
      }
      throw failure("cannot resolve '" + key + "' at " + path, e);
    } catch (IOException e) {
      throw failure("cannot resolve '" + key + "' at " + path, e);
    }
    if (!real.startsWith(root)) {
      throw escape(key, path);
    }
    return real;
  }

  /** Whether a component between the root and {@code path} exists and is not a directory, so path cannot exist. */
  private boolean blockedByFile(Path path) {
    for (Path p = path.getParent(); p != null && !p.equals(root) && p.startsWith(root); p = p.getParent()) {
      if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Syncs {@code dir} and every directory above it up to and including the root, so the new name and any directory
   * created for it (by this writer or a concurrent one that has not committed yet) survive a crash.
   */
  private void syncDirectories(Path dir) throws IOException {
    for (Path d = dir; d != null && d.startsWith(root); d = d.getParent()) {
      syncDirectory(d);
    }
  }

  private void syncDirectory(Path dir) throws IOException {
    if (!posix) {
      return; // directories cannot be opened for fsync on Windows; NTFS journals the rename itself
    }
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Like PostgreSQL's fsync_fname: some file systems (certain FUSE and network mounts) refuse fsync on a
      // directory with EINVAL or EBADF. That is "not supported", not a failed write; every other error is real.
      String m = String.valueOf(e.getMessage());
      if (!(m.contains("Invalid argument") || m.contains("Bad file descriptor"))) {
        throw e;
      }
      if (!dirSyncUnsupportedReported) {
        dirSyncUnsupportedReported = true;
        LOG.warn("the file system of {} does not support fsync on directories ({}); a power loss right after a "
            + "commit may lose the new name", root, m);
      }
    }
  }

  private boolean hardLinksSupported() {
    Boolean known = hardLinks;
    if (known == null) {
      known = probeHardLinks();
      hardLinks = known;
    }
    return known;
  }

  private boolean probeHardLinks() {
    Path a = root.resolve(TEMP_PREFIX + HexFormat.of().formatHex(randomBytes()));
    Path b = root.resolve(TEMP_PREFIX + HexFormat.of().formatHex(randomBytes()));
    try {
      Files.createFile(a, fileMode);
      Files.createLink(b, a);
      return true;
    } catch (IOException | UnsupportedOperationException e) {
      LOG.debug("no hard links in {} ({}); create-only writes are checked, not atomic", root, e.toString());
      return false;
    } finally {
      try {
        Files.deleteIfExists(b);
        Files.deleteIfExists(a);
      } catch (IOException e) {
        LOG.debug("could not remove the hard link probe in {}: {}", root, e.toString());
      }
    }
  }

  private NotFoundException notFound(String key) {
    return new NotFoundException("no object '" + key + "' in the repository " + describe());
  }

  private SinkException escape(String key, Path path) {
    return new SinkException("refusing '" + key + "': " + path + " leads outside the repository " + root
        + " through a symbolic link; remove the link from the repository");
  }

  static io.backup4j.api.BackupException failure(String what, IOException e) {
    if (e instanceof java.nio.file.AccessDeniedException) {
      return new AccessDeniedException(what + ": permission denied on " + e.getMessage()
          + "; check the owner and permissions of the repository directory", e);
    }
    return new SinkException(what + ": " + e, e);
  }

  /** Reads {@code length} bytes from {@code offset} with positional reads; closes the channel when closed. */
  private static final class RangeInputStream extends InputStream {
    private final FileChannel channel;
    private long position;
    private long remaining;

    RangeInputStream(FileChannel channel, long offset, long length) {
      this.channel = channel;
      this.position = offset;
      this.remaining = length;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      if (len == 0) {
        return 0;
      }
      if (remaining <= 0) {
        return -1;
      }
      int want = (int) Math.min(len, remaining);
      int n = channel.read(ByteBuffer.wrap(b, off, want), position);
      if (n < 0) {
        remaining = 0;
        return -1;
      }
      position += n;
      remaining -= n;
      return n;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }
}
