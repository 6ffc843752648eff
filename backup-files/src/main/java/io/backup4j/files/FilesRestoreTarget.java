package io.backup4j.files;

import io.backup4j.api.Cancellation;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.RestoreSession;
import io.backup4j.api.RestoreTarget;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.jspecify.annotations.Nullable;

/**
 * Restores a files backup into a directory.
 *
 * <p>Safety, in order:
 * <ol>
 *   <li>A target that exists and is not empty is refused unless {@code overwrite=true}, before anything is written.
 *   <li>The tar is extracted into a private (0700) staging directory: {@code <target>.backup4j-restore-<random>} next
 *       to the target, or {@code <target>/.backup4j-restore-<random>} inside it when the target already exists on
 *       another file system than its parent (a mount point) or is not empty, so that the final moves are renames on
 *       one file system.
 *   <li>Every entry name is checked: absolute names, {@code ..} segments, and names that would be written through a
 *       symbolic link (one restored earlier, pointing anywhere) fail the restore with an {@link IntegrityException}
 *       naming the entry; files are created with {@code O_CREAT|O_EXCL|O_NOFOLLOW}, so a duplicate entry never
 *       writes through a link either.
 *   <li>Only after the part stream reached its end (where the engine has verified length and SHA-256) are the
 *       entries moved into place: the staging directory is renamed onto an absent or empty target; with
 *       {@code overwrite=true} its entries are moved over the target's: same-named directories are merged, any
 *       other same-named entry is replaced (an existing directory where the backup has a file or link is removed
 *       with its content), and entries the backup does not have are kept. Any failure before that point removes the staging
 *       directory and leaves the target as it was.
 * </ol>
 *
 * <p>Restored: file contents, permission bits (with set-uid/set-gid/sticky), modification times (of directories
 * after their content), symbolic links with their stored text, empty directories, and uid/gid when running as root.
 * Sockets, FIFOs and devices found in foreign tars are skipped with a warning; hard-link entries of foreign tars are
 * restored as hard links when their target is a file restored before them.
 *
 * <p>Durability: unless {@code fsync=false}, every file (content, mode, mtime) and every directory is fsynced before
 * the restored tree is moved into place, and the parent directory after the final rename.
 *
 * <p>Memory: contents are streamed; the target keeps one small record per directory (its metadata is applied after
 * its content), so memory grows with the number of directories, not with the data.
 *
 * <p>If the restore fails after the checks above (a full disk, a part that fails verification), the staging directory
 * is removed; missing parent directories of the target that were created for the staging directory remain.
 */
public final class FilesRestoreTarget implements RestoreTarget {
  private static final String STAGING_INFIX = ".backup4j-restore-";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final java.nio.file.attribute.FileAttribute<Set<PosixFilePermission>> OWNER_ONLY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

  private final Path dir;
  private final boolean overwrite;
  private final boolean fsync;

  FilesRestoreTarget(Path dir, boolean overwrite) {
    this(dir, overwrite, true);
  }

  FilesRestoreTarget(Path dir, boolean overwrite, boolean fsync) {
    this.dir = Objects.requireNonNull(dir, "dir is null");
    this.overwrite = overwrite;
    this.fsync = fsync;
  }

  @Override
  public String describe() {
    return "directory " + dir + (overwrite ? " (overwrite)" : "");
  }

  /** The directory restored into (absolute, normalized). */
  public Path directory() {
    return dir;
  }

  @Override
  public void restore(RestoreSession session) throws IOException {
    // a target given as a symbolic link to a directory means that directory: renaming onto the link would fail
    Path dir = Files.isSymbolicLink(this.dir) && Files.isDirectory(this.dir) ? this.dir.toRealPath() : this.dir;
    Path parent = dir.getParent();
    if (parent == null) {
      throw new ConfigurationException("cannot restore onto the file system root " + dir
          + "; restore into a directory below it");
    }
    BasicFileAttributes existing = null;
    try {
      existing = Files.readAttributes(dir, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      // absent: created by the final rename
    }
    if (existing != null && !existing.isDirectory()) {
      throw new ConfigurationException("the restore target " + dir + " exists and is not a directory; "
          + "give a directory (new or empty)");
    }
    boolean empty = existing == null || isEmpty(dir);
    if (!empty && !overwrite) {
      throw new ConfigurationException("the restore target " + dir + " is not empty; restore into a new or empty "
          + "directory, or set the option overwrite=true (--overwrite on the command line) to replace the entries "
          + "it has in common with the backup");
    }
    Files.createDirectories(parent);
    // rename the whole staging directory onto the target when we can: one atomic step, nothing half-restored
    // visible. That needs the staging directory on the target's file system and an empty target.
    boolean renameOnto = empty && (existing == null || sameFileSystem(parent, dir));
    Path staging = renameOnto
        ? createStaging(parent, truncate(dir.getFileName().toString()) + STAGING_INFIX)
        : createStaging(dir, STAGING_INFIX);
    try {
      Extraction x = new Extraction(session, staging, isRoot(staging), fsync);
      x.extract();
      session.cancellation().throwIfCancelled();
      if (renameOnto) {
        // without a root entry (foreign tars) the restored directory keeps the replaced one's mode, or gets 0755
        x.applyDirectoryMetadata(staging, existing != null ? Files.getPosixFilePermissions(dir)
            : PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
        if (fsync) {
          fsyncDirectory(parent); // makes the rename durable
        }
      } else {
        merge(staging, dir);
        Files.delete(staging);
        x.applyDirectoryMetadata(dir, null); // fsyncs every directory that received entries
        if (fsync) {
          fsyncDirectory(dir);
        }
      }
    } catch (IOException | RuntimeException | Error e) {
      try {
        deleteRecursively(staging);
      } catch (IOException | RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /** At most 100 characters of the target's name, so the staging name stays within the usual 255-byte limit. */
  private static String truncate(String name) {
    return name.length() <= 100 ? name : name.substring(0, 100);
  }

  /** Flushes a directory's entries to stable storage (Linux allows fsync on a directory opened read-only). */
  static void fsyncDirectory(Path d) throws IOException {
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(d, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      if (!"Is a directory".equals(e.getMessage()) && !(e instanceof java.nio.file.AccessDeniedException)) {
        throw e;
      }
      // platforms that cannot open directories for fsync: the files themselves were synced
    }
  }

  private static boolean isEmpty(Path d) throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
      return !ds.iterator().hasNext();
    }
  }

  private static boolean sameFileSystem(Path a, Path b) {
    try {
      return Files.getAttribute(a, "unix:dev").equals(Files.getAttribute(b, "unix:dev"));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false; // unknown: stage inside the target, which is always on the target's file system
    }
  }

  private static boolean isRoot(Path p) {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  private static Path createStaging(Path in, String prefix) throws IOException {
    byte[] r = new byte[8];
    RANDOM.nextBytes(r);
    Path p = in.resolve(prefix + HexFormat.of().formatHex(r));
    try {
      try {
        return Files.createDirectory(p,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (UnsupportedOperationException e) {
        return Files.createDirectory(p);
      }
    } catch (java.nio.file.AccessDeniedException e) {
      throw new ConfigurationException("cannot create the staging directory " + p + ": permission denied; the "
          + "restore stages into the directory that will hold the target, so it must be writable", e);
    }
  }

  /** Moves every entry of {@code src} into {@code dst}: same-named real directories merge, anything else is replaced. */
  private static void merge(Path src, Path dst) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(src)) {
      ds.forEach(children::add);
    }
    for (Path s : children) {
      Path d = dst.resolve(s.getFileName().toString());
      BasicFileAttributes sa = Files.readAttributes(s, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      BasicFileAttributes da = lstat(d);
      if (da != null && sa.isDirectory() && da.isDirectory()) {
        merge(s, d);
        Files.delete(s);
      } else {
        if (da != null) {
          deleteRecursively(d);
        }
        Files.move(s, d, StandardCopyOption.ATOMIC_MOVE);
      }
    }
  }

  private static @Nullable BasicFileAttributes lstat(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** Deletes a tree without following links; makes directories writable first (their modes may be restrictive). */
  static void deleteRecursively(Path root) throws IOException {
    if (lstat(root) == null) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
        try {
          Set<PosixFilePermission> p = Files.getPosixFilePermissions(d, LinkOption.NOFOLLOW_LINKS);
          if (p.add(PosixFilePermission.OWNER_WRITE) | p.add(PosixFilePermission.OWNER_EXECUTE)
              | p.add(PosixFilePermission.OWNER_READ)) {
            Files.setPosixFilePermissions(d, p);
          }
        } catch (UnsupportedOperationException e) {
          // not POSIX: nothing to relax
        }
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
        Files.delete(f);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, @Nullable IOException exc) throws IOException {
        if (exc != null) {
          throw exc;
        }
        Files.delete(d);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /**
   * The entry's name as a safe relative path: {@code ""} for the root ({@code ./}), otherwise segments joined by
   * {@code /} with empty and {@code .} segments dropped.
   *
   * @throws IntegrityException if the name is empty, absolute, contains NUL or a {@code ..} segment
   */
  static String safeName(String raw) {
    if (raw.isEmpty()) {
      throw refused(raw, "it has an empty name");
    }
    if (raw.indexOf('\0') >= 0) {
      throw refused(raw, "its name contains a NUL character");
    }
    if (raw.startsWith("/")) {
      throw refused(raw, "its name is an absolute path");
    }
    StringBuilder sb = new StringBuilder();
    for (String seg : raw.split("/")) {
      if (seg.isEmpty() || seg.equals(".")) {
        continue;
      }
      if (seg.equals("..")) {
        throw refused(raw, "its name contains '..' and could land outside the target");
      }
      if (sb.length() > 0) {
        sb.append('/');
      }
      sb.append(seg);
    }
    return sb.toString();
  }

  private static IntegrityException refused(String entry, String why) {
    return new IntegrityException("refusing to restore tar entry '" + printable(entry) + "' of part "
        + FilesSource.PART + ": " + why + ". The backup was not written by backup4j or was tampered with; "
        + "nothing was restored");
  }

  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints().limit(300).forEach(c -> {
      if (Character.isISOControl(c)) {
        sb.append(String.format("\\u%04x", c));
      } else {
        sb.appendCodePoint(c);
      }
    });
    return sb.toString();
  }

  /**
   * Fsyncs restored files on a few background threads while extraction goes on: concurrent fsyncs share journal
   * commits, which makes a durable restore of many small files several times faster than syncing each in turn. The
   * queue is bounded (open channels wait in it), and when it is full the extracting thread syncs itself.
   */
  private static final class Syncer implements AutoCloseable {
    private static final int THREADS = 4;
    private final java.util.concurrent.ThreadPoolExecutor pool = new java.util.concurrent.ThreadPoolExecutor(
        THREADS, THREADS, 0, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.ArrayBlockingQueue<>(256),
        r -> {
          Thread t = new Thread(r, "backup4j-files-fsync");
          t.setDaemon(true);
          return t;
        }, new java.util.concurrent.ThreadPoolExecutor.CallerRunsPolicy());
    private final java.util.concurrent.atomic.AtomicReference<@Nullable IOException> failure =
        new java.util.concurrent.atomic.AtomicReference<>();

    /** Forces {@code channel} to stable storage and closes it, now or later; failures surface in {@link #await}. */
    void syncAndClose(java.nio.channels.FileChannel channel) throws IOException {
      rethrow();
      pool.execute(() -> {
        try (channel) {
          channel.force(true);
        } catch (IOException e) {
          failure.compareAndSet(null, e);
        }
      });
    }

    /** Waits until every submitted file is durable. */
    void await() throws IOException {
      pool.shutdown();
      try {
        while (!pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)) {
          // fsync of a large file on a slow disk: keep waiting, the restore is not complete without it
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while waiting for restored files to be synced");
      }
      rethrow();
    }

    private void rethrow() throws IOException {
      IOException e = failure.get();
      if (e != null) {
        throw new IOException("cannot make a restored file durable (fsync): " + e.getMessage(), e);
      }
    }

    /**
     * Stops the threads after the queued tasks ran (each closes its channel), so no file handle outlives the restore
     * even when it failed.
     */
    @Override
    public void close() {
      pool.shutdown();
      boolean interrupted = false;
      while (true) {
        try {
          if (pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES)) {
            break;
          }
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Metadata applied to a directory once everything below it is in place. */
  private record DirMeta(String rel, int mode, FileTime mtime, long uid, long gid) {
    int depth() {
      return rel.isEmpty() ? 0 : (int) rel.chars().filter(c -> c == '/').count() + 1;
    }
  }

  /** One run of extracting the part into the staging directory. */
  private static final class Extraction {
    private final RestoreSession session;
    private final Path staging;
    private final boolean root;
    private final boolean fsync;
    private final @Nullable Syncer syncer;
    private final Cancellation cancellation;
    private final List<DirMeta> dirs = new ArrayList<>();
    /** Relative paths of staging directories known to be real directories (created or checked by us). */
    private final Set<String> knownDirs = new java.util.HashSet<>();
    private final byte[] buffer = new byte[64 * 1024];
    private @Nullable DirMeta rootMeta;
    private boolean posix = true;

    Extraction(RestoreSession session, Path staging, boolean root, boolean fsync) {
      this.session = session;
      this.staging = staging;
      this.root = root;
      this.fsync = fsync;
      this.syncer = fsync ? new Syncer() : null;
      this.cancellation = session.cancellation();
    }

    void extract() throws IOException {
      try {
        extractEntries();
        if (syncer != null) {
          syncer.await();
        }
      } finally {
        if (syncer != null) {
          syncer.close();
        }
      }
    }

    private void extractEntries() throws IOException {
      long total = expectedEntries(session.manifest().sourceMetadata());
      long done = 0;
      try (InputStream part = session.openPart(FilesSource.PART)) {
        // the tar reader must not close the part: it is drained below so the engine's end-of-stream check runs
        TarArchiveInputStream tar = new TarArchiveInputStream(new FilterInputStream(part) {
          @Override
          public void close() {}

          @Override
          public long skip(long n) throws IOException {
            // read instead of skipping, so a session that verifies what it hands out sees every byte
            long left = n;
            byte[] b = new byte[(int) Math.min(8192, Math.max(1, n))];
            while (left > 0) {
              int r = read(b, 0, (int) Math.min(b.length, left));
              if (r < 0) {
                break;
              }
              left -= r;
            }
            return n - left;
          }
        }, "UTF-8");
        TarArchiveEntry e;
        while ((e = nextEntry(tar)) != null) {
          cancellation.throwIfCancelled();
          String rel = safeName(e.getName());
          if (rel.isEmpty()) {
            if (!e.isDirectory()) {
              throw refused(e.getName(), "it names the target directory itself but is not a directory");
            }
            rootMeta = meta(rel, e);
            continue;
          }
          Path p = checkedPath(rel, e.getName(), true);
          if (e.isDirectory()) {
            BasicFileAttributes a = lstat(p);
            if (a == null) {
              Files.createDirectory(p);
            } else if (!a.isDirectory()) {
              throw refused(e.getName(), "a non-directory entry of that name was restored before it");
            }
            dirs.add(meta(rel, e));
            knownDirs.add(rel);
          } else if (e.isSymbolicLink()) {
            String link = e.getLinkName();
            if (link.isEmpty() || link.indexOf('\0') >= 0) {
              throw refused(e.getName(), "it is a symbolic link with an empty or invalid target");
            }
            try {
              Files.createSymbolicLink(p, Path.of(link));
            } catch (FileAlreadyExistsException ex) {
              throw refused(e.getName(), "an entry of that name was restored before it");
            }
            finish(p, e, false);
            done++;
          } else if (e.isLink()) {
            String targetRel;
            try {
              targetRel = safeName(e.getLinkName());
            } catch (IntegrityException ex) {
              throw refused(e.getName(), "it is a hard link to '" + printable(e.getLinkName())
                  + "', which is absolute, empty or contains '..'");
            }
            Path t = checkedPath(targetRel, e.getName(), false);
            BasicFileAttributes ta = lstat(t);
            if (ta == null || !ta.isRegularFile()) {
              throw refused(e.getName(), "it is a hard link to '" + printable(e.getLinkName())
                  + "', which is not a regular file restored before it");
            }
            try {
              Files.createLink(p, t);
            } catch (FileAlreadyExistsException ex) {
              throw refused(e.getName(), "an entry of that name was restored before it");
            }
            done++;
          } else if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
            session.warn("skipped tar entry " + printable(e.getName())
                + ": FIFOs and device files are not restored");
            continue;
          } else if (e.isFile()) {
            writeFile(tar, p, e);
            done++;
          } else {
            session.warn("skipped tar entry " + printable(e.getName())
                + ": sockets, FIFOs and device files are not restored");
            continue;
          }
          session.progress("files", done, total, rel);
        }
        // reach the verified end of the part: bytes after the tar's end-of-archive records (block padding) are
        // read so the engine checks length and SHA-256 before anything is made live
        while (part.read(buffer) >= 0) {
          // draining
        }
      }
    }

    private static @Nullable TarArchiveEntry nextEntry(TarArchiveInputStream tar) throws IOException {
      try {
        return tar.getNextEntry();
      } catch (IllegalArgumentException e) {
        throw new IntegrityException("part " + FilesSource.PART + " is not a valid tar: " + e.getMessage(), e);
      }
    }

    private static long expectedEntries(Map<String, String> meta) {
      try {
        return Long.parseLong(meta.getOrDefault("fileCount", "x")) + Long.parseLong(meta.getOrDefault("symlinkCount", "x"));
      } catch (NumberFormatException e) {
        return -1;
      }
    }

    /**
     * The staging path for {@code rel}, creating missing parent directories; refuses a parent that is a symbolic
     * link or not a directory, so nothing is ever written through a link.
     */
    private Path checkedPath(String rel, String entry, boolean createParents) throws IOException {
      int slash = rel.lastIndexOf('/');
      if (slash < 0 || knownDirs.contains(rel.substring(0, slash))) {
        // the parent is the staging root or a directory checked before: nothing can have replaced it since, as no
        // entry may replace an existing name
        return staging.resolve(rel);
      }
      String[] segs = rel.split("/");
      Path cur = staging;
      for (int i = 0; i < segs.length - 1; i++) {
        cur = cur.resolve(segs[i]);
        String prefix = String.join("/", java.util.Arrays.copyOf(segs, i + 1));
        if (knownDirs.contains(prefix)) {
          continue;
        }
        BasicFileAttributes a = lstat(cur);
        if (a == null && createParents) {
          Files.createDirectory(cur);
        } else if (a == null) {
          throw refused(entry, "it refers to '" + rel + "', which was not restored before it");
        } else if (a.isSymbolicLink()) {
          throw refused(entry, "it would be written through the symbolic link '" + printable(prefix) + "'");
        } else if (!a.isDirectory()) {
          throw refused(entry, "its parent '" + printable(prefix) + "' is not a directory");
        }
        knownDirs.add(prefix);
      }
      Path p = cur.resolve(segs[segs.length - 1]);
      if (!p.normalize().startsWith(staging) || p.equals(staging)) {
        throw refused(entry, "it would land outside the target");
      }
      return p;
    }

    private void writeFile(TarArchiveInputStream tar, Path p, TarArchiveEntry e) throws IOException {
      final java.nio.channels.SeekableByteChannel channel;
      // O_CREAT|O_EXCL|O_NOFOLLOW: a duplicate entry or a link at this name is refused, never written through;
      // owner-only until the stored mode is applied
      Set<StandardOpenOption> opts = java.util.EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      Set<java.nio.file.OpenOption> withNoFollow = new java.util.HashSet<>(opts);
      withNoFollow.add(LinkOption.NOFOLLOW_LINKS);
      try {
        java.nio.channels.SeekableByteChannel ch;
        try {
          ch = posix ? Files.newByteChannel(p, withNoFollow, OWNER_ONLY) : Files.newByteChannel(p, opts);
        } catch (UnsupportedOperationException ex) {
          posix = false;
          ch = Files.newByteChannel(p, opts);
        }
        channel = ch;
      } catch (FileAlreadyExistsException ex) {
        throw refused(e.getName(), "an entry of that name was restored before it");
      }
      boolean handedOver = false;
      try {
        OutputStream out = java.nio.channels.Channels.newOutputStream(channel);
        long sinceCheck = 0;
        int n;
        while ((n = tar.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
          sinceCheck += n;
          if (sinceCheck >= 1 << 20) {
            cancellation.throwIfCancelled();
            sinceCheck = 0;
          }
        }
        finish(p, e, true);
        if (syncer != null && channel instanceof java.nio.channels.FileChannel fc) {
          syncer.syncAndClose(fc); // content, size, mode and mtime durable before the restore reports success
          handedOver = true;
        }
      } finally {
        if (!handedOver) {
          channel.close();
        }
      }
    }

    /** Owner (as root), mode and mtime of a file or link just created; links keep their own mode. */
    private void finish(Path p, TarArchiveEntry e, boolean applyMode) throws IOException {
      // chown before chmod: chown clears set-uid/set-gid bits
      if (root && e.getLongUserId() >= 0) {
        try {
          Files.setAttribute(p, "unix:uid", (int) e.getLongUserId(), LinkOption.NOFOLLOW_LINKS);
          Files.setAttribute(p, "unix:gid", (int) e.getLongGroupId(), LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException ex) {
          // no unix view: ownership is not restored
        }
      }
      if (applyMode && posix) {
        chmod(p, e.getMode());
      }
      try {
        Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
            .setTimes(e.getLastModifiedTime(), null, null);
      } catch (IOException | UnsupportedOperationException ex) {
        if (applyMode) {
          throw ex;
        }
        // some platforms cannot set a link's own times; the link itself is what matters
      }
    }

    private DirMeta meta(String rel, TarArchiveEntry e) {
      return new DirMeta(rel, e.getMode(), e.getLastModifiedTime(), e.getLongUserId(), e.getLongGroupId());
    }

    /**
     * Applies directory owners, modes and mtimes below {@code base}, deepest first so a restrictive mode never
     * blocks a child and no later change bumps a parent's mtime; the root entry's last. If the backup has no root
     * entry, {@code base} gets {@code defaultRootPermissions} unless that is {@code null}.
     */
    void applyDirectoryMetadata(Path base, @Nullable Set<PosixFilePermission> defaultRootPermissions)
        throws IOException {
      List<DirMeta> order = new ArrayList<>(dirs);
      order.sort(Comparator.comparingInt(DirMeta::depth).reversed());
      for (DirMeta m : order) {
        applyDir(base.resolve(m.rel()), m);
      }
      if (rootMeta != null) {
        applyDir(base, rootMeta);
      } else if (defaultRootPermissions != null && posix) {
        Files.setPosixFilePermissions(base, defaultRootPermissions);
      }
    }

    private void applyDir(Path d, DirMeta m) throws IOException {
      BasicFileAttributes a = lstat(d);
      if (a == null || !a.isDirectory()) {
        return; // replaced by a later entry of another type: refused earlier, cannot happen
      }
      if (root && m.uid() >= 0) {
        try {
          Files.setAttribute(d, "unix:uid", (int) m.uid(), LinkOption.NOFOLLOW_LINKS);
          Files.setAttribute(d, "unix:gid", (int) m.gid(), LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException ex) {
          // no unix view
        }
      }
      if (posix) {
        chmod(d, m.mode());
      }
      Files.setLastModifiedTime(d, m.mtime());
      if (fsync) {
        fsyncDirectory(d);
      }
    }

    /** Sets all 12 mode bits; the POSIX view cannot express set-uid, set-gid and sticky, the unix view can. */
    private static void chmod(Path p, int mode) throws IOException {
      try {
        Files.setAttribute(p, "unix:mode", mode & 07777);
      } catch (UnsupportedOperationException | IllegalArgumentException e) {
        Files.setPosixFilePermissions(p, permissions(mode));
      }
    }

    private static Set<PosixFilePermission> permissions(int mode) {
      Set<PosixFilePermission> s = java.util.EnumSet.noneOf(PosixFilePermission.class);
      PosixFilePermission[] order = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
        PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
      for (int i = 0; i < order.length; i++) {
        if ((mode & (1 << i)) != 0) {
          s.add(order[i]);
        }
      }
      return s;
    }
  }
}
