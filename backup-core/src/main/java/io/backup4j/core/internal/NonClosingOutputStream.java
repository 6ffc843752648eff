package io.backup4j.core.internal;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Passes writes through; {@link #close()} only flushes, so a transform chain can be finished without committing. */
final class NonClosingOutputStream extends FilterOutputStream {
  NonClosingOutputStream(OutputStream out) {
    super(out);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
  }

  @Override
  public void close() throws IOException {
    out.flush();
  }
}
