package io.backup4j.compress;

import io.backup4j.api.Transform;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.TransformProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;

/**
 * Provides {@code bzip2}: bzip2 compression through Commons Compress; each part is a standard .bz2 stream, readable
 * with {@code bzip2 -d}.
 *
 * <p>Parameter {@code level}: the block size in units of 100 kB, 1 to 9, default 9 (as the {@code bzip2} tool).
 * Recorded in the manifest, not needed to restore. bzip2 is slow (a few MB/s) and exists for readers that have
 * nothing else.
 */
public final class Bzip2TransformProvider implements TransformProvider {
  /** The provider name. */
  public static final String NAME = "bzip2";

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public Bzip2TransformProvider() {
    // stateless
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "bzip2 compression (.bz2, read with `bzip2 -d`): level 1..9 (block size in 100 kB, default 9)";
  }

  @Override
  public Transform create(Map<String, String> parameters, ProviderContext context) {
    Objects.requireNonNull(context, "context is null");
    Params p = new Params(NAME, parameters);
    int level = p.intParam("level", 9, 1, 9, "an integer from 1 to 9 (block size in units of 100 kB)");
    return new Bzip2Transform(p, level);
  }

  static final class Bzip2Transform extends CompressionTransform {
    private final int level;

    Bzip2Transform(Params p, int level) {
      super(NAME, Map.of("level", Integer.toString(level)), ".bz2", p.unknown());
      this.level = level;
    }

    @Override
    OutputStream openEncoder(OutputStream out) throws IOException {
      return new BZip2CompressorOutputStream(out, level);
    }

    @Override
    InputStream openDecoder(InputStream in) throws IOException {
      // Concatenated streams as `bzip2 -d` reads them; anything else after a stream is "Garbage after a valid
      // BZip2 stream".
      return new BZip2CompressorInputStream(in, true);
    }

    @Override
    String formatName() {
      return NAME;
    }
  }
}
