package io.backup4j.core.internal;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/**
 * Counts and (unless told not to) hashes the bytes passing to {@code out}. Closing it does not close {@code out}.
 */
final class HashingOutputStream extends FilterOutputStream {
  private final @org.jspecify.annotations.Nullable MessageDigest digest;
  private long count;

  HashingOutputStream(OutputStream out) {
    this(out, true);
  }

  HashingOutputStream(OutputStream out, boolean hash) {
    super(out);
    this.digest = hash ? Digests.sha256() : null;
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    if (digest != null) {
      digest.update((byte) b);
    }
    count++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    if (digest != null) {
      digest.update(b, off, len);
    }
    count += len;
  }

  long count() {
    return count;
  }

  String hex() {
    if (digest == null) {
      throw new IllegalStateException("this stream only counts");
    }
    return Digests.hex(digest);
  }

  @Override
  public void close() throws IOException {
    out.flush();
  }
}
