package io.backup4j.redis;

import io.backup4j.api.AlreadyExistsException;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.RestoreSession;
import io.backup4j.api.RestoreTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.UUID;

/**
 * Restores a Redis backup as an RDB file in a directory, for a server that is (re)started on it.
 *
 * <p>The file is written as {@code .<name>.<random>.tmp} in the same directory, checked (header, EOF opcode, CRC-64)
 * while the engine verifies the part's SHA-256, fsynced, and only then renamed over {@code <name>}; the directory
 * is fsynced too. A failed restore leaves no {@code dump.rdb} behind, and an existing one is only replaced with
 * {@code overwrite=true} — a running server would overwrite a restored file on its next save, so stop it first.
 */
final class RedisDirectoryTarget implements RestoreTarget {
  static final Set<String> OPTIONS = Set.of("overwrite", "fileName");

  private final Path directory;
  private final String fileName;
  private final boolean overwrite;

  RedisDirectoryTarget(Path directory, Options options) {
    this.directory = directory.toAbsolutePath().normalize();
    this.fileName = options.get("fileName", "dump.rdb");
    if (fileName.contains("/") || fileName.contains("\\") || fileName.startsWith(".") || fileName.isBlank()) {
      throw new ConfigurationException("option fileName must be a plain file name such as dump.rdb, not '"
          + fileName + "'");
    }
    this.overwrite = options.bool("overwrite", false);
  }

  @Override
  public String describe() {
    return directory.resolve(fileName).toString();
  }

  @Override
  public void restore(RestoreSession session) throws IOException {
    Path target = directory.resolve(fileName);
    if (Files.exists(directory) && !Files.isDirectory(directory)) {
      throw new ConfigurationException(directory + " is not a directory; give the directory to write "
          + fileName + " into");
    }
    if (Files.exists(target) && !overwrite) {
      throw new AlreadyExistsException(target + " exists; restore into an empty directory, or pass option overwrite=true (CLI: --overwrite)"
          + " (stop the Redis server using it first)");
    }
    Files.createDirectories(directory);
    Path temp = directory.resolve("." + fileName + "." + UUID.randomUUID() + ".tmp");
    boolean done = false;
    try {
      try (InputStream in = session.openPart(RedisSource.PART);
          FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        OutputStream out = Channels.newOutputStream(ch);
        RdbChecker checker = new RdbChecker();
        byte[] buf = new byte[1 << 16];
        long total = session.manifest().part(RedisSource.PART).map(p -> p.rawSize()).orElse(-1L);
        long written = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
          checker.update(buf, 0, n);
          out.write(buf, 0, n);
          written += n;
          if ((written & ((1 << 24) - 1)) < n) {
            session.cancellation().throwIfCancelled();
            session.progress("bytes", written, total, "writing " + target);
          }
        }
        try {
          checker.finish("the backed-up RDB file");
        } catch (RdbChecker.RdbFormatException e) {
          throw new IntegrityException(e.getMessage() + "; nothing was written to " + target);
        }
        ch.force(true);
      }
      if (!overwrite && Files.exists(target)) {
        throw new AlreadyExistsException(target + " appeared during the restore; nothing was replaced");
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot rename into place atomically in " + directory, e);
      } catch (FileAlreadyExistsException e) {
        throw new AlreadyExistsException(target + " exists; pass option overwrite=true (CLI: --overwrite) to replace it");
      }
      done = true;
      fsyncDirectory(directory);
    } finally {
      if (!done) {
        Files.deleteIfExists(temp);
      }
    }
  }

  private static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some platforms cannot open a directory for fsync; the rename itself was done.
    }
  }

  @Override
  public String toString() {
    return "RedisDirectoryTarget[" + describe() + "]";
  }
}
