package io.backup4j.files;

import io.backup4j.api.BackupSession;
import io.backup4j.api.BackupSource;
import io.backup4j.api.Cancellation;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.PartWriter;
import io.backup4j.api.SourceException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.jspecify.annotations.Nullable;

/**
 * A directory tree, backed up as one part {@value #PART} holding a POSIX.1-2001 (PAX) tar.
 *
 * <p>Part layout (ustar records of 512 bytes; PAX extended headers carry what ustar cannot hold):
 * <pre>
 *   [PAX header "path=/linkpath=/mtime=" only when needed] [ustar header: name, mode, uid, gid, size, mtime, type]
 *   [file data, zero-padded to a multiple of 512]
 *   ... one such group per entry, in this order: "./" (the root directory itself), then a pre-order walk with the
 *       children of every directory sorted by name (String order), directories as "a/b/", files as "a/b/c" ...
 *   [two 512-byte zero records] [zero padding to a multiple of 10240 (the tar block size)]
 * </pre>
 * Entries: directories (type 5, mode, mtime, uid, gid), regular files (type 0, exactly the header's size of data),
 * symbolic links (type 2, link text exactly as stored on disk, never followed), hard links (type 1: a file with
 * several names is stored once, under the name that comes first in the walk, and every later name is a link entry
 * naming that first one). The mode field holds the file type
 * and permission bits including set-uid, set-gid and sticky. Names and link texts are UTF-8; names over 100 bytes,
 * non-ASCII names, long link texts, sub-second mtimes and sizes over 8 GiB go into PAX headers. No access or change
 * times and no user/group names are written, so two backups of an unchanged tree are byte-identical.
 *
 * <p>Not stored: hard links to files outside the tree (the names inside it are linked to each other), sockets,
 * FIFOs and device nodes (skipped with a warning), ACLs, extended attributes and sparseness (holes are stored as zeros). Mount points below the root are
 * descended into. Files that vanish during the walk are skipped with a warning; a file whose size changes while it
 * is read is stored with exactly the size seen when its header was written (truncated, or padded with zeros) and
 * reported as changed, so the tar is never corrupt. A file or directory that cannot be read (permission denied)
 * fails the backup: silently leaving it out would make an incomplete backup look complete.
 *
 * <p>Metadata recorded in the manifest: {@code root}, {@code format} ({@code pax-tar}), {@code fileCount},
 * {@code directoryCount}, {@code symlinkCount}, {@code totalBytes} (file content bytes stored, each file with several names once), {@code skippedCount},
 * {@code changedCount}, {@code hardLinkCount} (link entries, included in {@code fileCount}) and {@code exclude}
 * when set.
 *
 * <p>Links are never followed below the root, not even when the tree changes during the backup: each directory is
 * held open while it is walked (a {@link SecureDirectoryStream}, i.e. {@code openat}/{@code fstatat}), checked to be
 * the directory that was examined, and its children are examined and opened relative to it with
 * {@code O_NOFOLLOW}. A directory swapped for a link pointing elsewhere is skipped with a warning, so a user who can
 * write into the tree cannot make a backup running as root read files outside it.
 *
 * <p>Memory: file contents are streamed through a 64 KiB buffer; the walk holds the sorted names of the directories
 * on the current path (not of the whole tree), and one table entry per file that has more than one name.
 */
public final class FilesSource implements BackupSource {
  /** The name of the one part a files backup consists of. */
  public static final String PART = "tree.tar";

  private static final int BUFFER = 64 * 1024;
  private static final String UNIX_ATTRS = "unix:mode,uid,gid,nlink,size,lastModifiedTime,isDirectory,"
      + "isRegularFile,isSymbolicLink,isOther,fileKey";

  /** Sort order of directory entries: by name as a string, so the order does not depend on the file system. */
  private static final Comparator<Path> BY_NAME = Comparator.comparing(p -> p.getFileName().toString());

  private final Path root;
  private final Excludes excludes;
  private final ReadHook readHook;

  FilesSource(Path root, Excludes excludes) {
    this(root, excludes, p -> {});
  }

  FilesSource(Path root, Excludes excludes, ReadHook readHook) {
    this.root = Objects.requireNonNull(root, "root is null");
    this.excludes = Objects.requireNonNull(excludes, "excludes is null");
    this.readHook = Objects.requireNonNull(readHook, "readHook is null");
  }

  /** A test seam: runs after a file's header was written and before its content is read. */
  @FunctionalInterface
  interface ReadHook {
    void beforeRead(Path file) throws IOException;

    /** Runs after a directory was examined and before it is opened. */
    default void beforeOpenDirectory(Path dir) throws IOException {}
  }

  @Override
  public String kind() {
    return FilesSourceProvider.NAME;
  }

  @Override
  public String identity() {
    return "files:" + root;
  }

  /** The directory backed up (absolute, normalized). */
  public Path root() {
    return root;
  }

  @Override
  public void backup(BackupSession session) throws IOException {
    checkRoot(root);
    Walk walk = new Walk(session);
    try (PartWriter writer = session.openPart(PART)) {
      OutputStream out = writer.stream();
      TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8");
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
      tar.setAddPaxHeadersForNonAsciiNames(true);
      walk.run(tar);
      // finish() writes the end-of-archive records; the tar stream is not closed because that would close the
      // part stream, which the engine owns until commit()
      tar.finish();
      tar.flush();
      session.putMetadata("root", root.toString());
      session.putMetadata("format", "pax-tar");
      session.putMetadata("fileCount", Long.toString(walk.files));
      session.putMetadata("directoryCount", Long.toString(walk.directories));
      session.putMetadata("symlinkCount", Long.toString(walk.symlinks));
      session.putMetadata("totalBytes", Long.toString(walk.bytes));
      session.putMetadata("skippedCount", Long.toString(walk.skipped));
      session.putMetadata("changedCount", Long.toString(walk.changed));
      session.putMetadata("hardLinkCount", Long.toString(walk.hardLinks));
      if (!excludes.isEmpty()) {
        session.putMetadata("exclude", excludes.toString());
      }
      writer.commit();
    }
    session.progress("files", walk.files + walk.symlinks, walk.files + walk.symlinks, "done");
  }

  /**
   * Fails unless {@code root} is an existing directory (a symbolic link to one is accepted: the root is what the
   * user named; links below it are never followed).
   */
  static void checkRoot(Path root) {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(root, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new NotFoundException("the directory to back up does not exist: " + root
          + "; check the path in the files: URI");
    } catch (IOException e) {
      throw new ConfigurationException("cannot read the directory to back up " + root + ": " + e.getMessage(), e);
    }
    if (!a.isDirectory()) {
      throw new ConfigurationException("the path to back up is not a directory: " + root
          + "; a files: source must name a directory");
    }
  }

  /** The state of one backup run: the walk, the tar, the counters. */
  private final class Walk {
    private final BackupSession session;
    private final Cancellation cancellation;
    private final byte[] buffer = new byte[BUFFER];
    private boolean unixView = true;
    long files;
    long directories;
    long symlinks;
    long bytes;
    long skipped;
    long changed;
    long hardLinks;
    /** The first stored name of every file with several names, by file key (device and inode). */
    private final java.util.Map<Object, String> firstNames = new java.util.HashMap<>();

    Walk(BackupSession session) {
      this.session = session;
      this.cancellation = session.cancellation();
    }

    /**
     * One directory being walked: its children, sorted, consumed one at a time, and where the platform offers it an
     * open handle ({@code openat}) through which the children are examined and opened. The handle is what keeps the
     * walk inside the tree when someone swaps a directory for a symbolic link while the backup runs: the directory
     * was checked to be the one examined, and everything below it is reached relative to it, never by path.
     */
    private final class Dir implements java.io.Closeable {
      final String prefix;
      final @Nullable SecureDirectoryStream<Path> handle;
      final Iterator<Path> children;

      Dir(String prefix, @Nullable SecureDirectoryStream<Path> handle, List<Path> children) {
        this.prefix = prefix;
        this.handle = handle;
        this.children = children.iterator();
      }

      @Override
      public void close() throws IOException {
        if (handle != null) {
          handle.close();
        }
      }
    }

    void run(TarArchiveOutputStream tar) throws IOException {
      Attrs rootAttrs = attrs(null, root, true);
      Dir rootDir = rootAttrs == null ? null : open(null, root, "", rootAttrs);
      if (rootDir == null) {
        throw new SourceException("the directory to back up vanished or changed while the backup started: " + root);
      }
      Deque<Dir> stack = new ArrayDeque<>();
      stack.push(rootDir);
      try {
        tar.putArchiveEntry(dirEntry("./", rootAttrs));
        tar.closeArchiveEntry();
        directories++;
        while (!stack.isEmpty()) {
          Dir d = stack.peek();
          if (!d.children.hasNext()) {
            stack.pop().close();
            continue;
          }
          cancellation.throwIfCancelled();
          // the Path from the directory listing keeps the name's raw bytes, so even a name that is not valid UTF-8
          // can be read; its tar name is the decoded string
          Path path = d.children.next();
          String name = path.getFileName().toString();
          String rel = d.prefix + name;
          Attrs a = attrs(d, path, false);
          if (a == null) {
            continue;
          }
          if (excludes.excludes(rel, a.directory)) {
            continue;
          }
          if (a.directory) {
            Dir child = open(d, path, rel, a);
            if (child == null) {
              continue;
            }
            stack.push(child);
            tar.putArchiveEntry(dirEntry(rel + "/", a));
            tar.closeArchiveEntry();
            directories++;
          } else if (a.symlink) {
            writeSymlink(tar, path, rel, a);
          } else if (a.regular) {
            if (name.indexOf('\uFFFD') >= 0) {
              session.warn("the name of " + rel + " is not valid UTF-8; it is stored (and will be restored) with "
                  + "U+FFFD in place of the invalid bytes");
            }
            String first = a.nlink > 1 && a.fileKey != null ? firstNames.get(a.fileKey) : null;
            if (first != null) {
              writeHardLink(tar, rel, first, a);
            } else if (writeFile(tar, d, path, rel, a) && a.nlink > 1 && a.fileKey != null) {
              firstNames.put(a.fileKey, rel);
            }
          } else {
            skipped++;
            session.warn("skipped " + rel + ": sockets, FIFOs and device files are not backed up");
          }
        }
      } finally {
        for (Dir d : stack) {
          d.close();
        }
      }
    }

    private TarArchiveEntry dirEntry(String name, Attrs a) {
      TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_DIR);
      a.applyTo(e, 0040000);
      return e;
    }

    private void writeSymlink(TarArchiveOutputStream tar, Path path, String rel, Attrs a) throws IOException {
      String target;
      try {
        target = Files.readSymbolicLink(path).toString();
      } catch (NoSuchFileException | java.nio.file.NotLinkException e) {
        vanished(rel);
        return;
      } catch (IOException e) {
        throw new SourceException("cannot read symbolic link " + path + ": " + e.getMessage(), e);
      }
      TarArchiveEntry e = new TarArchiveEntry(rel, TarConstants.LF_SYMLINK);
      a.applyTo(e, 0120000);
      e.setLinkName(target);
      tar.putArchiveEntry(e);
      tar.closeArchiveEntry();
      symlinks++;
      progress(rel);
    }

    private void writeHardLink(TarArchiveOutputStream tar, String rel, String first, Attrs a) throws IOException {
      TarArchiveEntry e = new TarArchiveEntry(rel, TarConstants.LF_LINK);
      a.applyTo(e, 0100000);
      e.setLinkName(first);
      tar.putArchiveEntry(e);
      tar.closeArchiveEntry();
      files++;
      hardLinks++;
      progress(rel);
    }

    /** Stores a regular file; {@code false} if it was skipped (vanished, changed type). */
    private boolean writeFile(TarArchiveOutputStream tar, Dir d, Path path, String rel, Attrs a) throws IOException {
      InputStream in;
      try {
        // O_NOFOLLOW: if the file was replaced by a link since it was examined, the link is not followed; opened
        // relative to the directory handle, so a directory swapped for a link on the way does not matter either
        in = d.handle != null
            ? Channels.newInputStream(d.handle.newByteChannel(path.getFileName(),
                Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)))
            : Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        vanished(rel);
        return false;
      } catch (AccessDeniedException e) {
        throw new SourceException("permission denied reading " + path
            + "; run the backup as a user that can read the whole tree, or exclude it with exclude=", e);
      } catch (FileSystemException e) {
        skipped++;
        session.warn("skipped " + rel + ": it changed type while the backup was running (" + e.getReason() + ")");
        return false;
      }
      try (in) {
        TarArchiveEntry e = new TarArchiveEntry(rel, TarConstants.LF_NORMAL);
        a.applyTo(e, 0100000);
        e.setSize(a.size);
        tar.putArchiveEntry(e);
        readHook.beforeRead(path);
        long remaining = a.size;
        long sinceCheck = 0;
        while (remaining > 0) {
          int n;
          try {
            n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
          } catch (IOException ex) {
            throw new SourceException("cannot read " + path + ": " + ex.getMessage(), ex);
          }
          if (n < 0) {
            break;
          }
          tar.write(buffer, 0, n);
          remaining -= n;
          sinceCheck += n;
          if (sinceCheck >= 16L * BUFFER) {
            cancellation.throwIfCancelled();
            sinceCheck = 0;
          }
        }
        boolean shrank = remaining > 0;
        if (shrank) {
          // the header promised a.size bytes: pad so the archive stays well-formed
          java.util.Arrays.fill(buffer, (byte) 0);
          while (remaining > 0) {
            int n = (int) Math.min(buffer.length, remaining);
            tar.write(buffer, 0, n);
            remaining -= n;
          }
        }
        tar.closeArchiveEntry();
        boolean grew = !shrank && in.read() >= 0;
        files++;
        bytes += a.size;
        if (shrank || grew || modifiedSince(path, a)) {
          changed++;
          session.warn("file changed while it was read: " + rel + " ("
              + (shrank ? "it shrank; the stored copy is padded with zeros to " + a.size + " bytes"
                  : grew ? "it grew; the stored copy is cut at " + a.size + " bytes"
                      : "its modification time changed")
              + "); the stored copy may be inconsistent, back it up again when it is quiet");
        }
      }
      progress(rel);
      return true;
    }

    private boolean modifiedSince(Path path, Attrs before) {
      try {
        BasicFileAttributes now = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        return now.size() != before.size || !now.lastModifiedTime().equals(before.mtime);
      } catch (IOException e) {
        return false; // deleted after it was read completely: the stored copy is what was there
      }
    }

    private void progress(String rel) {
      session.progress("files", files + symlinks, -1, rel);
    }

    private void vanished(String rel) {
      skipped++;
      session.warn("skipped " + rel + ": it was deleted while the backup was running");
    }

    /**
     * Opens a directory examined as {@code expected} and lists its children sorted by name; {@code null} (after a
     * warning) if it vanished or is no longer the directory that was examined.
     */
    private @Nullable Dir open(@Nullable Dir parent, Path dir, String rel, Attrs expected) {
      List<Path> names = new ArrayList<>();
      DirectoryStream<Path> ds = null;
      try {
        readHook.beforeOpenDirectory(dir);
        ds = parent != null && parent.handle != null
            ? parent.handle.newDirectoryStream(dir.getFileName(), LinkOption.NOFOLLOW_LINKS)
            : Files.newDirectoryStream(dir);
        SecureDirectoryStream<Path> handle = ds instanceof SecureDirectoryStream
            ? (SecureDirectoryStream<Path>) ds : null;
        if (handle != null && expected.fileKey != null && !expected.fileKey.equals(
            handle.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey())) {
          ds.close();
          replaced(rel);
          return null;
        }
        for (Path p : ds) {
          names.add(p);
        }
        if (handle == null) {
          ds.close();
        }
        names.sort(BY_NAME);
        return new Dir(rel.isEmpty() ? "" : rel + "/", handle, names);
      } catch (NoSuchFileException | NotDirectoryException e) {
        closeQuietly(ds);
        if (rel.isEmpty()) {
          return null;
        }
        vanished(rel);
        return null;
      } catch (FileSystemException e) {
        closeQuietly(ds);
        if (e instanceof AccessDeniedException) {
          throw new SourceException("permission denied listing " + dir
              + "; run the backup as a user that can read the whole tree, or exclude it with exclude=", e);
        }
        if ("Too many levels of symbolic links".equals(e.getReason()) || e.getReason() != null
            && e.getReason().contains("symbolic link")) {
          replaced(rel); // O_NOFOLLOW refused a link that took the directory's place
          return null;
        }
        throw new SourceException("cannot list " + dir + ": " + e.getMessage(), e);
      } catch (IOException e) {
        closeQuietly(ds);
        throw new SourceException("cannot list " + dir + ": " + e.getMessage(), e);
      }
    }

    private void closeQuietly(@Nullable DirectoryStream<Path> ds) {
      if (ds != null) {
        try {
          ds.close();
        } catch (IOException e) {
          // closing a directory handle that failed to be used: nothing to recover
        }
      }
    }

    private void replaced(String rel) {
      skipped++;
      session.warn("skipped " + rel + ": it was replaced (for example by a symbolic link) while the backup was "
          + "running; links are never followed");
    }

    /** The attributes of a path without following a final link, or {@code null} if it vanished. */
    private @Nullable Attrs attrs(@Nullable Dir in, Path path, boolean follow) {
      LinkOption[] opts = follow ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
      try {
        Attrs a = null;
        if (unixView) {
          try {
            a = Attrs.of(Files.readAttributes(path, UNIX_ATTRS, opts));
          } catch (UnsupportedOperationException | IllegalArgumentException e) {
            unixView = false; // not a Unix file system: fall back to basic attributes with default modes
          }
        }
        if (a == null) {
          a = Attrs.of(Files.readAttributes(path, BasicFileAttributes.class, opts));
        }
        if (in != null && in.handle != null && a.fileKey != null) {
          // the attributes were read by path; make sure the path still leads to the entry in the directory we hold
          Object key = in.handle.getFileAttributeView(path.getFileName(), BasicFileAttributeView.class,
              LinkOption.NOFOLLOW_LINKS).readAttributes().fileKey();
          if (!a.fileKey.equals(key)) {
            replaced(root.relativize(path).toString());
            return null;
          }
        }
        return a;
      } catch (NoSuchFileException e) {
        if (!follow) {
          vanished(root.relativize(path).toString());
        }
        return null;
      } catch (IOException e) {
        throw new SourceException("cannot read the attributes of " + path + ": " + e.getMessage(), e);
      }
    }
  }

  /** The attributes stored per entry. */
  private static final class Attrs {
    boolean directory;
    boolean regular;
    boolean symlink;
    int mode = -1;
    int nlink = 1;
    long uid = -1;
    long gid = -1;
    long size;
    FileTime mtime = FileTime.fromMillis(0);
    @Nullable Object fileKey;

    static Attrs of(Map<String, Object> m) {
      Attrs a = new Attrs();
      a.directory = (Boolean) m.get("isDirectory");
      a.regular = (Boolean) m.get("isRegularFile");
      a.symlink = (Boolean) m.get("isSymbolicLink");
      a.mode = ((Integer) m.get("mode")) & 07777;
      a.uid = ((Integer) m.get("uid")) & 0xFFFFFFFFL;
      a.gid = ((Integer) m.get("gid")) & 0xFFFFFFFFL;
      a.size = (Long) m.get("size");
      a.nlink = (Integer) m.get("nlink");
      a.mtime = (FileTime) m.get("lastModifiedTime");
      a.fileKey = m.get("fileKey");
      return a;
    }

    static Attrs of(BasicFileAttributes b) {
      Attrs a = new Attrs();
      a.directory = b.isDirectory();
      a.regular = b.isRegularFile();
      a.symlink = b.isSymbolicLink();
      a.size = b.size();
      a.mtime = b.lastModifiedTime();
      a.fileKey = b.fileKey();
      return a;
    }

    void applyTo(TarArchiveEntry e, int typeBits) {
      int perms = mode >= 0 ? mode : (typeBits == 0040000 ? 0755 : typeBits == 0120000 ? 0777 : 0644);
      e.setMode(typeBits | perms);
      e.setLastModifiedTime(mtime);
      if (uid >= 0) {
        e.setUserId(uid);
        e.setGroupId(gid);
      }
      // commons-compress fills in the JVM user's name by default; names would make the archive depend on who ran
      // the backup, and restore uses the numbers
      e.setUserName("");
      e.setGroupName("");
    }
  }
}
