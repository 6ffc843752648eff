package io.backup4j.storage.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.http.ContentStreamProvider;

/**
 * The bytes of one part (or of a whole small object) between the writer and the upload, replayable so that the SDK
 * can retry a failed request from the start. Parts up to {@code memoryLimit} bytes are held in heap chunks that grow
 * as bytes arrive (a 200-byte manifest costs 8 KiB, not a part size); larger parts are spooled to an owner-only
 * temporary file, so heap use stays bounded however far the part size has grown. The MD5 of the bytes is computed
 * on the way in and sent as {@code Content-MD5}, which every S3 implementation verifies.
 */
final class PartBuffer {
  private static final int FIRST_CHUNK = 8 << 10;
  /**
   * Below half of G1's smallest region (1 MiB): larger arrays are "humongous" and a 1 MiB array would occupy two
   * whole regions, doubling the heap a part really needs.
   */
  private static final int MAX_CHUNK = 256 << 10;

  private final long capacity;
  private final MessageDigest md5;
  private final List<byte[]> chunks = new ArrayList<>();
  private int lastChunkUsed;
  private @Nullable Path file;
  private @Nullable OutputStream fileOut;
  private long size;
  private byte @Nullable [] digest;
  private boolean released;
  /** Streams of the spool file handed to the SDK; closed at the latest by {@link #release()}. */
  private final List<InputStream> openStreams = new ArrayList<>();

  PartBuffer(long capacity, long memoryLimit, Path temporaryDirectory) throws IOException {
    this.capacity = capacity;
    try {
      this.md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no MD5", e);
    }
    if (capacity > memoryLimit) {
      Files.createDirectories(temporaryDirectory);
      boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
      Path f = posix
          ? Files.createTempFile(temporaryDirectory, "backup4j-s3-", ".part",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
          : Files.createTempFile(temporaryDirectory, "backup4j-s3-", ".part");
      this.file = f;
      try {
        this.fileOut = new java.io.BufferedOutputStream(
            Files.newOutputStream(f, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING), 64 << 10);
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(f); // nobody else knows the file: delete it here or it stays behind
        throw e;
      }
    }
  }

  long size() {
    return size;
  }

  long remaining() {
    return capacity - size;
  }

  boolean isFull() {
    return size >= capacity;
  }

  boolean spooled() {
    return file != null;
  }

  /** Appends up to {@link #remaining()} bytes; returns how many were taken. */
  int write(byte[] b, int off, int len) throws IOException {
    int n = (int) Math.min(len, remaining());
    md5.update(b, off, n);
    if (fileOut != null) {
      fileOut.write(b, off, n);
    } else {
      int done = 0;
      while (done < n) {
        byte[] last = chunks.isEmpty() ? null : chunks.get(chunks.size() - 1);
        if (last == null || lastChunkUsed == last.length) {
          int next = last == null ? FIRST_CHUNK : Math.min(MAX_CHUNK, last.length * 2);
          last = new byte[(int) Math.min(next, Math.max(1, capacity - size - done))];
          chunks.add(last);
          lastChunkUsed = 0;
        }
        int k = Math.min(n - done, last.length - lastChunkUsed);
        System.arraycopy(b, off + done, last, lastChunkUsed, k);
        lastChunkUsed += k;
        done += k;
      }
    }
    size += n;
    return n;
  }

  /** Ends writing; afterwards the content can be read any number of times. */
  void seal() throws IOException {
    if (digest == null) {
      digest = md5.digest();
      if (fileOut != null) {
        fileOut.close();
        fileOut = null;
      }
    }
  }

  /** The MD5 of the content; only after {@link #seal()}. */
  byte[] md5() {
    if (digest == null) {
      throw new IllegalStateException("not sealed");
    }
    return digest.clone();
  }

  /**
   * A provider of fresh streams over the content, one per SDK attempt. For a spool file each call closes the stream
   * the previous call returned, as the SDK's own file provider does: the SDK closes only the last one (the
   * {@link ContentStreamProvider} contract), and an unclosed stream would hold a descriptor, and the deleted file's
   * disk space, until a garbage collection. Heap streams hold no resources and are left alone.
   */
  ContentStreamProvider contentProvider() {
    return new ContentStreamProvider() {
      private @Nullable InputStream last;

      @Override
      public InputStream newStream() {
        synchronized (PartBuffer.this) {
          if (file != null) {
            closeQuietly(last);
          }
          last = PartBuffer.this.newStream();
          return last;
        }
      }
    };
  }

  private synchronized InputStream newStream() {
    if (released) {
      throw new IllegalStateException("part buffer already released");
    }
    if (file != null) {
      try {
        InputStream in = Files.newInputStream(file);
        openStreams.add(in);
        return in;
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    List<InputStream> parts = new ArrayList<>(chunks.size());
    for (int i = 0; i < chunks.size(); i++) {
      byte[] c = chunks.get(i);
      parts.add(new ByteArrayInputStream(c, 0, i == chunks.size() - 1 ? lastChunkUsed : c.length));
    }
    return new SequenceInputStream(Collections.enumeration(parts));
  }

  /** Drops the content, closes the streams handed out and deletes the spool file. Idempotent. */
  synchronized void release() {
    if (released) {
      return;
    }
    released = true;
    chunks.clear();
    openStreams.forEach(PartBuffer::closeQuietly);
    openStreams.clear();
    try {
      if (fileOut != null) {
        fileOut.close();
      }
    } catch (IOException e) {
      // closing flushes buffered bytes, which fails again on a full disk: the file is deleted all the same
    }
    try {
      if (file != null) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      // best effort: the file is in the private temporary directory and holds no secret beyond the data itself
    }
  }

  private static void closeQuietly(@Nullable InputStream in) {
    if (in != null) {
      try {
        in.close();
      } catch (IOException e) {
        // a read-only stream of our own file or heap chunks: nothing is lost
      }
    }
  }
}
