package io.backup4j.core.internal;

import io.backup4j.api.IntegrityException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Counts and hashes bytes read from {@code in}, and at end-of-stream checks both against the expected values
 * <em>before</em> returning {@code -1}: a truncated, extended or altered stream throws {@link IntegrityException}
 * naming {@code what}. Reading past the expected length fails at once.
 */
final class VerifyingInputStream extends FilterInputStream {
  private final long expectedLength;
  private final byte[] expectedSha256;
  private final String what;
  private final MessageDigest digest = Digests.sha256();
  private long count;
  private boolean verified;

  VerifyingInputStream(InputStream in, long expectedLength, String expectedSha256Hex, String what) {
    super(in);
    this.expectedLength = expectedLength;
    this.expectedSha256 = HexFormat.of().parseHex(expectedSha256Hex);
    this.what = what;
  }

  @Override
  public int read() throws IOException {
    int b = in.read();
    if (b < 0) {
      verifyEnd();
      return -1;
    }
    digest.update((byte) b);
    count++;
    checkLength();
    return b;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    int n = in.read(b, off, len);
    if (n < 0) {
      verifyEnd();
      return -1;
    }
    digest.update(b, off, n);
    count += n;
    checkLength();
    return n;
  }

  @Override
  public long skip(long n) throws IOException {
    // skipping would bypass the hash: read and discard instead
    byte[] buf = new byte[(int) Math.min(8192, Math.max(n, 1))];
    long done = 0;
    while (done < n) {
      int r = read(buf, 0, (int) Math.min(buf.length, n - done));
      if (r < 0) {
        break;
      }
      done += r;
    }
    return done;
  }

  @Override
  public boolean markSupported() {
    return false;
  }

  /** Reads to end-of-stream, which verifies. */
  void drainAndVerify() throws IOException {
    byte[] buf = new byte[8192];
    while (read(buf, 0, buf.length) >= 0) {
      // discard: only the verification at the end matters
    }
  }

  boolean verified() {
    return verified;
  }

  private void checkLength() {
    if (count > expectedLength) {
      throw new IntegrityException(what + " is longer than the " + expectedLength + " bytes recorded in the manifest");
    }
  }

  private void verifyEnd() {
    if (verified) {
      return;
    }
    if (count != expectedLength) {
      throw new IntegrityException(what + " is truncated: " + count + " of " + expectedLength + " bytes recorded in the manifest");
    }
    if (!MessageDigest.isEqual(digest.digest(), expectedSha256)) {
      throw new IntegrityException(what + " does not match its SHA-256 recorded in the manifest: the data is damaged or was altered");
    }
    verified = true;
  }
}
