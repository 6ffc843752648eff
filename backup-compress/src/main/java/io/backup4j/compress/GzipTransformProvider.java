package io.backup4j.compress;

import io.backup4j.api.Transform;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.TransformProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;
import java.util.zip.GZIPOutputStream;

/**
 * Provides {@code gzip}: DEFLATE compression with the JDK's zlib; each part is a standard gzip stream (RFC 1952),
 * readable with {@code gunzip}.
 *
 * <p>Parameter {@code level}: 1 (fastest) to 9 (smallest), default 6 (as the {@code gzip} tool). Recorded in the
 * manifest, not needed to restore. Decoding accepts concatenated members, as {@code gunzip} does, and checks every
 * member's CRC-32 and length; unlike {@code gunzip}, bytes after the last member are an error, not a warning.
 *
 * <p>gzip is slow (about 35 MB/s per core at level 6); prefer {@code zstd} unless the reader has only gzip.
 */
public final class GzipTransformProvider implements TransformProvider {
  /** The provider name. */
  public static final String NAME = "gzip";

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public GzipTransformProvider() {
    // stateless
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "gzip compression (.gz, read with `gunzip`): level 1..9 (default 6)";
  }

  @Override
  public Transform create(Map<String, String> parameters, ProviderContext context) {
    Objects.requireNonNull(context, "context is null");
    Params p = new Params(NAME, parameters);
    int level = p.intParam("level", 6, 1, 9, "an integer from 1 (fastest) to 9 (smallest)");
    return new GzipTransform(p, level);
  }

  static final class GzipTransform extends CompressionTransform {
    private final int level;

    GzipTransform(Params p, int level) {
      super(NAME, Map.of("level", Integer.toString(level)), ".gz", p.unknown());
      this.level = level;
    }

    @Override
    OutputStream openEncoder(OutputStream out) throws IOException {
      // GZIPOutputStream owns (and ends) its Deflater; setting the level before the first write takes effect.
      return new GZIPOutputStream(out, BUFFER_SIZE) {
        {
          def.setLevel(level);
        }
      };
    }

    @Override
    InputStream openDecoder(InputStream in) {
      return new GzipDecoderInputStream(in);
    }

    @Override
    String formatName() {
      return NAME;
    }
  }
}
