package io.backup4j.core.internal;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.MessageDigest;

/** Counts and hashes the bytes passing to {@code out}. Closing it does not close {@code out}. */
final class HashingOutputStream extends FilterOutputStream {
  private final MessageDigest digest = Digests.sha256();
  private long count;

  HashingOutputStream(OutputStream out) {
    super(out);
  }

  @Override
  public void write(int b) throws IOException {
    out.write(b);
    digest.update((byte) b);
    count++;
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
    digest.update(b, off, len);
    count += len;
  }

  long count() {
    return count;
  }

  String hex() {
    return Digests.hex(digest);
  }

  @Override
  public void close() throws IOException {
    out.flush();
  }
}
