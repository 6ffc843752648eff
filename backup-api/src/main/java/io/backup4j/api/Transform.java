package io.backup4j.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A reversible stream transformation applied to every part: compression, encryption.
 *
 * <p>{@link #spec()} is recorded in the manifest; at restore the engine asks the provider of the same name to create
 * the transform again from the recorded parameters (plus the caller's options, which is how keys arrive), so restore
 * needs no knowledge of how the backup was made.
 *
 * <p>Both directions stream with bounded memory. Decoders verify their own trailer, checksum or authentication tag
 * <em>before</em> returning end-of-stream, and a truncated input throws an {@link IOException} (preferably an
 * {@link IntegrityException} cause) rather than returning {@code -1} early.
 */
public interface Transform {
  /** The provider name, e.g. {@code zstd}. */
  default String name() {
    return spec().name();
  }

  /** Name and parameters recorded in the manifest; never key material. */
  TransformSpec spec();

  /**
   * Wraps {@code downstream} so bytes written are encoded into it. Closing the returned stream finishes the encoding
   * (writes trailers) and closes {@code downstream}.
   */
  OutputStream encode(OutputStream downstream) throws IOException;

  /** Wraps {@code upstream} so reads return decoded bytes. Closing the returned stream closes {@code upstream}. */
  InputStream decode(InputStream upstream) throws IOException;

  /**
   * A suffix for stored object names that tells a human how to read the object without backup4j, e.g.
   * {@code .zst}; empty by default.
   */
  default String fileSuffix() {
    return "";
  }
}
