package io.backup4j.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * What the engine offers a {@link RestoreTarget}: the manifest, and each part as a stream of raw bytes, decoded
 * through the recorded transform chain and verified while read.
 *
 * <p>A part stream checks length and SHA-256 of both the stored and the raw bytes before it returns end-of-stream:
 * a truncated, tampered or wrongly decoded part throws {@link IntegrityException} naming the part instead of
 * returning {@code -1}. Targets should therefore stage their output and only make it live after the stream ended.
 */
public interface RestoreSession {
  /** The manifest of the backup being restored. */
  Manifest manifest();

  /**
   * Opens a part by name. Thread-safe; parts may be read in parallel.
   *
   * @throws NotFoundException if the manifest has no such part or its object is missing
   */
  InputStream openPart(String name) throws IOException;

  /** Reports progress in the target's own units. */
  void progress(String unit, long done, long total, String message);

  /** Reports a problem that does not fail the restore. */
  void warn(String message);

  /** The caller's cancellation signal. */
  Cancellation cancellation();

  /** A private (0700) directory for temporary files, deleted when the restore ends. */
  Path temporaryDirectory() throws IOException;
}
