package io.backup4j.compress;

import io.backup4j.api.Transform;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.TransformProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorOutputStream;

/**
 * Provides {@code xz}: LZMA2 compression through Commons Compress and XZ for Java; each part is a standard .xz stream
 * with a CRC-64 check, readable with {@code xz -d}.
 *
 * <p>Parameter {@code level}: the xz preset, 0 to 9, default 6 (as the {@code xz} tool). Recorded in the manifest,
 * not needed to restore. Decoding memory is limited to {@value #MEMORY_LIMIT_KIB} KiB, above what preset 9 needs, so
 * a hostile header cannot make the decoder allocate gigabytes. xz is slow (a few MB/s); it is for archives where
 * size matters more than time.
 */
public final class XzTransformProvider implements TransformProvider {
  /** The provider name. */
  public static final String NAME = "xz";

  /** Decoder memory limit in KiB: preset 9 needs 65 MiB to decode. */
  static final int MEMORY_LIMIT_KIB = 128 * 1024;

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public XzTransformProvider() {
    // stateless
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "xz compression (.xz, read with `xz -d`): level 0..9 (default 6)";
  }

  @Override
  public Transform create(Map<String, String> parameters, ProviderContext context) {
    Objects.requireNonNull(context, "context is null");
    Params p = new Params(NAME, parameters);
    int level = p.intParam("level", 6, 0, 9, "an integer from 0 (fastest) to 9 (smallest)");
    return new XzTransform(p, level);
  }

  static final class XzTransform extends CompressionTransform {
    private final int level;

    XzTransform(Params p, int level) {
      super(NAME, Map.of("level", Integer.toString(level)), ".xz", p.unknown());
      this.level = level;
    }

    @Override
    OutputStream openEncoder(OutputStream out) throws IOException {
      return new XZCompressorOutputStream(out, level);
    }

    @Override
    InputStream openDecoder(InputStream in) throws IOException {
      // Concatenated streams are accepted as `xz -d` accepts them.
      return new XZCompressorInputStream(in, true, MEMORY_LIMIT_KIB);
    }

    @Override
    String formatName() {
      return NAME;
    }
  }
}
