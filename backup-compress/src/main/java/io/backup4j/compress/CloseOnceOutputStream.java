package io.backup4j.compress;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Passes writes through and closes the wrapped stream at most once, whoever calls {@code close()}. */
final class CloseOnceOutputStream extends FilterOutputStream {
  private boolean closed;

  CloseOnceOutputStream(OutputStream out) {
    super(out);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    // FilterOutputStream writes byte by byte; pass arrays through whole.
    out.write(b, off, len);
  }

  @Override
  public void close() throws IOException {
    if (!closed) {
      closed = true;
      out.close();
    }
  }

  void closeQuietlyAfter(Throwable primary) {
    try {
      close();
    } catch (IOException | RuntimeException e) {
      primary.addSuppressed(e);
    }
  }
}
