/**
 * Streaming compression transforms: {@code zstd}, {@code gzip}, {@code lz4}, {@code xz}, {@code bzip2} and
 * {@code none}, found through {@link io.backup4j.api.spi.TransformProvider} by name.
 *
 * <p>Every stored part is one standard stream of its format (zstd frames, gzip members, LZ4 frames, an xz stream, a
 * bzip2 stream), so the ordinary command-line tools {@code zstd -d}, {@code gunzip}, {@code lz4 -d}, {@code xz -d}
 * and {@code bzip2 -d} read a part without backup4j. The parameters a part was written with (level, window, worker
 * count, block size) are recorded in the manifest for information only: decoding needs none of them, and parameters
 * a decoder does not know are ignored, so a manifest written by a newer version still restores.
 *
 * <p>Decoders never end early: a truncated stream, a checksum mismatch or bytes after the last frame fail with an
 * {@link java.io.IOException} whose cause is an {@link io.backup4j.api.IntegrityException}, before end-of-stream is
 * returned. Memory is bounded by the format's window or block size, never by the length of the stream.
 */
@NullMarked
package io.backup4j.compress;

import org.jspecify.annotations.NullMarked;
