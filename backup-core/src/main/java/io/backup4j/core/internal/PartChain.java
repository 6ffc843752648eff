package io.backup4j.core.internal;

import io.backup4j.api.BackupException;
import io.backup4j.api.BackupSink;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.PartInfo;
import io.backup4j.api.Transform;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/** Opens a stored part for reading: stored bytes verified, decoded through the transform chain, raw bytes verified. */
public final class PartChain {
  private PartChain() {}

  /**
   * Opens a part's raw bytes. The returned stream verifies length and SHA-256 of the stored and the raw bytes before
   * returning end-of-stream; a failure is an {@link IntegrityException} naming the part and the backup.
   *
   * @param transforms the chain in encoding order
   */
  public static InputStream openRaw(BackupSink sink, PartInfo part, List<Transform> transforms, String backup)
      throws IOException {
    String what = "part '" + part.name() + "' of backup " + backup;
    InputStream stored;
    try {
      stored = sink.openRead(part.key());
    } catch (NotFoundException e) {
      throw new IntegrityException(what + " is missing from the repository (object " + part.key() + ")", e);
    }
    stored = new SinkErrorInputStream(stored, what);
    VerifyingInputStream storedCheck = new VerifyingInputStream(stored, part.storedSize(), part.storedSha256(), "stored data of " + what);
    InputStream decoded = storedCheck;
    try {
      for (int i = transforms.size() - 1; i >= 0; i--) {
        decoded = transforms.get(i).decode(decoded);
      }
    } catch (IOException | RuntimeException e) {
      storedCheck.close();
      throw decodeFailure(what, e);
    }
    VerifyingInputStream rawCheck = new VerifyingInputStream(decoded, part.rawSize(), part.rawSha256(), "decoded data of " + what);
    return new FilterInputStream(rawCheck) {
      private boolean done;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (done) {
          return -1;
        }
        int n;
        try {
          n = rawCheck.read(b, off, len);
          if (n < 0) {
            // the decoder may stop before its input ends: the stored bytes must still all be present and intact
            storedCheck.drainAndVerify();
            done = true;
          }
        } catch (IOException | RuntimeException e) {
          throw decodeFailure(what, e);
        }
        return n;
      }

      @Override
      public long skip(long n) throws IOException {
        return rawCheck.skip(n);
      }

      @Override
      public int available() throws IOException {
        return 0;
      }
    };
  }

  /** Turns I/O errors of the storage into {@link io.backup4j.api.SinkException}, so they are not taken for damage. */
  private static final class SinkErrorInputStream extends FilterInputStream {
    private final String what;

    SinkErrorInputStream(InputStream in, String what) {
      super(in);
      this.what = what;
    }

    @Override
    public int read() throws IOException {
      try {
        return in.read();
      } catch (IOException e) {
        throw new io.backup4j.api.SinkException("reading " + what + " from the repository failed: " + e.getMessage(), e);
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (IOException e) {
        throw new io.backup4j.api.SinkException("reading " + what + " from the repository failed: " + e.getMessage(), e);
      }
    }
  }

  private static RuntimeException decodeFailure(String what, Exception e) {
    if (e instanceof BackupException be) {
      return be;
    }
    return new IntegrityException(what + " could not be decoded: " + e.getMessage(), e);
  }
}
