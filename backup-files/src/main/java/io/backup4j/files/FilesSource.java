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
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

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
 * symbolic links (type 2, link text exactly as stored on disk, never followed). The mode field holds the file type
 * and permission bits including set-uid, set-gid and sticky. Names and link texts are UTF-8; names over 100 bytes,
 * non-ASCII names, long link texts, sub-second mtimes and sizes over 8 GiB go into PAX headers. No access or change
 * times and no user/group names are written, so two backups of an unchanged tree are byte-identical.
 *
 * <p>Not stored: hard links (each link is stored as a separate regular file and restored as separate files), sockets,
 * FIFOs and device nodes (skipped with a warning), ACLs and extended attributes. Files that vanish during the walk
 * are skipped with a warning; a file whose size changes while it is read is stored with exactly the size seen when
 * its header was written (truncated, or padded with zeros) and reported as changed, so the tar is never corrupt.
 */
public final class FilesSource implements BackupSource {
  /** The name of the one part a files backup consists of. */
  public static final String PART = "tree.tar";

  private static final int BUFFER = 64 * 1024;
  private static final String UNIX_ATTRS = "unix:mode,uid,gid,size,lastModifiedTime,isDirectory,isRegularFile,"
      + "isSymbolicLink,isOther";

  private final Path root;
  private final Excludes excludes;

  FilesSource(Path root, Excludes excludes) {
    this.root = Objects.requireNonNull(root, "root is null");
    this.excludes = Objects.requireNonNull(excludes, "excludes is null");
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
      if (!excludes.isEmpty()) {
        session.putMetadata("exclude", excludes.toString());
      }
      writer.commit();
    }
    session.progress("files", walk.files, walk.files, "done");
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

    Walk(BackupSession session) {
      this.session = session;
      this.cancellation = session.cancellation();
    }

    /** One directory being walked: its children, sorted, consumed one at a time. */
    private record Frame(Path dir, String prefix, Iterator<String> children) {}

    void run(TarArchiveOutputStream tar) throws IOException {
      Attrs rootAttrs = attrs(root, true);
      List<String> rootChildren = list(root, "");
      if (rootAttrs == null || rootChildren == null) {
        throw new SourceException("the directory to back up vanished: " + root);
      }
      tar.putArchiveEntry(dirEntry("./", rootAttrs));
      tar.closeArchiveEntry();
      directories++;
      Deque<Frame> stack = new ArrayDeque<>();
      stack.push(new Frame(root, "", rootChildren.iterator()));
      while (!stack.isEmpty()) {
        Frame f = stack.peek();
        if (!f.children().hasNext()) {
          stack.pop();
          continue;
        }
        cancellation.throwIfCancelled();
        String name = f.children().next();
        String rel = f.prefix() + name;
        Path path = f.dir().resolve(name);
        Attrs a = attrs(path, false);
        if (a == null) {
          continue;
        }
        if (excludes.excludes(rel, a.directory)) {
          continue;
        }
        if (a.directory) {
          List<String> children = list(path, rel);
          if (children == null) {
            continue;
          }
          tar.putArchiveEntry(dirEntry(rel + "/", a));
          tar.closeArchiveEntry();
          directories++;
          stack.push(new Frame(path, rel + "/", children.iterator()));
        } else if (a.symlink) {
          writeSymlink(tar, path, rel, a);
        } else if (a.regular) {
          writeFile(tar, path, rel, a);
        } else {
          skipped++;
          session.warn("skipped " + rel + ": sockets, FIFOs and device files are not backed up");
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

    private void writeFile(TarArchiveOutputStream tar, Path path, String rel, Attrs a) throws IOException {
      InputStream in;
      try {
        // O_NOFOLLOW: if the file was replaced by a link since it was examined, the link is not followed
        in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        vanished(rel);
        return;
      } catch (AccessDeniedException e) {
        throw new SourceException("permission denied reading " + path
            + "; run the backup as a user that can read the whole tree, or exclude it with exclude=", e);
      } catch (FileSystemException e) {
        skipped++;
        session.warn("skipped " + rel + ": it changed type while the backup was running (" + e.getReason() + ")");
        return;
      }
      try (in) {
        TarArchiveEntry e = new TarArchiveEntry(rel, TarConstants.LF_NORMAL);
        a.applyTo(e, 0100000);
        e.setSize(a.size);
        tar.putArchiveEntry(e);
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

    /** The sorted child names of a directory, or {@code null} if it vanished (after a warning). */
    private List<String> list(Path dir, String rel) {
      List<String> names = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path p : ds) {
          names.add(p.getFileName().toString());
        }
      } catch (NoSuchFileException | NotDirectoryException e) {
        if (rel.isEmpty()) {
          return null;
        }
        vanished(rel);
        return null;
      } catch (AccessDeniedException e) {
        throw new SourceException("permission denied listing " + dir
            + "; run the backup as a user that can read the whole tree, or exclude it with exclude=", e);
      } catch (IOException e) {
        throw new SourceException("cannot list " + dir + ": " + e.getMessage(), e);
      }
      Collections.sort(names);
      return names;
    }

    /** The attributes of a path without following a final link, or {@code null} if it vanished. */
    private Attrs attrs(Path path, boolean follow) {
      LinkOption[] opts = follow ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
      try {
        if (unixView) {
          try {
            return Attrs.of(Files.readAttributes(path, UNIX_ATTRS, opts));
          } catch (UnsupportedOperationException | IllegalArgumentException e) {
            unixView = false; // not a Unix file system: fall back to basic attributes with default modes
          }
        }
        return Attrs.of(Files.readAttributes(path, BasicFileAttributes.class, opts));
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
    long uid = -1;
    long gid = -1;
    long size;
    FileTime mtime = FileTime.fromMillis(0);

    static Attrs of(Map<String, Object> m) {
      Attrs a = new Attrs();
      a.directory = (Boolean) m.get("isDirectory");
      a.regular = (Boolean) m.get("isRegularFile");
      a.symlink = (Boolean) m.get("isSymbolicLink");
      a.mode = ((Integer) m.get("mode")) & 07777;
      a.uid = ((Integer) m.get("uid")) & 0xFFFFFFFFL;
      a.gid = ((Integer) m.get("gid")) & 0xFFFFFFFFL;
      a.size = (Long) m.get("size");
      a.mtime = (FileTime) m.get("lastModifiedTime");
      return a;
    }

    static Attrs of(BasicFileAttributes b) {
      Attrs a = new Attrs();
      a.directory = b.isDirectory();
      a.regular = b.isRegularFile();
      a.symlink = b.isSymbolicLink();
      a.size = b.size();
      a.mtime = b.lastModifiedTime();
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
