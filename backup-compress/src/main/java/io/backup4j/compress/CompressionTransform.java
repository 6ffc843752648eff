package io.backup4j.compress;

import io.backup4j.api.ConfigurationException;
import io.backup4j.api.Transform;
import io.backup4j.api.TransformSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The common frame of every compression transform: parameter bookkeeping, idempotent close, and the translation of
 * decoder failures into integrity errors.
 *
 * <p>Subclasses only open the format's raw encoder and decoder. The wrappers added here guarantee, for every format,
 * that {@code close()} may be called any number of times, that closing the encoder closes the downstream stream even
 * when writing the trailer fails, and that a decoder failure which did not come from the upstream stream itself is
 * reported as an {@link java.io.IOException} caused by an {@link io.backup4j.api.IntegrityException}.
 */
abstract class CompressionTransform implements Transform {
  /** Buffer in front of encoders, so single-byte writes do not cross into native code one byte at a time. */
  static final int BUFFER_SIZE = 64 * 1024;

  private final TransformSpec spec;
  private final String suffix;
  private final Set<String> unknownParameters;

  CompressionTransform(String name, Map<String, String> recorded, String suffix, Set<String> unknownParameters) {
    this.spec = new TransformSpec(name, recorded);
    this.suffix = Objects.requireNonNull(suffix, "suffix is null");
    this.unknownParameters = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(unknownParameters));
  }

  /** Opens the format's encoder over {@code out}; closing it must finish the stream. */
  abstract OutputStream openEncoder(OutputStream out) throws IOException;

  /** Opens the format's decoder over {@code in}; it must throw on truncation and on trailing bytes. */
  abstract InputStream openDecoder(InputStream in) throws IOException;

  /** The name of the command-line tool that reads this format, for messages. */
  abstract String formatName();

  @Override
  public final TransformSpec spec() {
    return spec;
  }

  @Override
  public final String fileSuffix() {
    return suffix;
  }

  /**
   * {@inheritDoc}
   *
   * @throws ConfigurationException if a parameter was given that this transform does not know (checked here rather
   *     than at creation so that restoring a manifest written by a newer version is not refused)
   */
  @Override
  public final OutputStream encode(OutputStream downstream) throws IOException {
    Objects.requireNonNull(downstream, "downstream is null");
    if (!unknownParameters.isEmpty()) {
      throw new ConfigurationException("unknown " + spec.name() + " parameter(s) "
          + unknownParameters.stream().map(k -> "'" + k + "'").collect(Collectors.joining(", "))
          + "; known: " + String.join(", ", spec.parameters().keySet().isEmpty()
              ? Set.of("none") : spec.parameters().keySet()));
    }
    CloseOnceOutputStream guardedDownstream = new CloseOnceOutputStream(downstream);
    OutputStream encoder;
    try {
      encoder = openEncoder(guardedDownstream);
    } catch (IOException | RuntimeException e) {
      guardedDownstream.closeQuietlyAfter(e);
      throw e;
    }
    return new EncodingOutputStream(encoder, guardedDownstream);
  }

  @Override
  public final InputStream decode(InputStream upstream) throws IOException {
    Objects.requireNonNull(upstream, "upstream is null");
    return new DecodingInputStream(formatName(), upstream, this::openDecoder);
  }

  @Override
  public String toString() {
    return spec.name() + spec.parameters();
  }
}
