package io.backup4j.api;

import java.io.IOException;
import java.io.OutputStream;

/**
 * An object or part being written. Bytes written to {@link #stream()} become visible only on {@link #commit()};
 * {@link #close()} without a successful commit aborts and removes everything written, so a failure between opening
 * and committing never leaves a half-written object that looks complete:
 *
 * <pre>{@code
 * try (PartWriter w = sink.openWrite(key, WriteMode.OVERWRITE)) {
 *   source.copyTo(w.stream());
 *   w.commit();
 * }
 * }</pre>
 *
 * <p>Closing {@link #stream()} does not commit. A writer is used by one thread at a time.
 */
public interface PartWriter extends AutoCloseable {
  /** The stream to write the bytes to. Always the same instance. */
  OutputStream stream();

  /**
   * Flushes, makes the bytes durable and makes the object visible under its key. Idempotent once it succeeded.
   *
   * @throws IOException if the bytes could not be made durable; the object is then not visible
   * @throws AlreadyExistsException if the writer was opened with {@link WriteMode#CREATE_ONLY} and the key exists
   */
  void commit() throws IOException;

  /** Aborts the write unless committed, removing what was written. Idempotent; never throws for an abort. */
  @Override
  void close() throws IOException;
}
