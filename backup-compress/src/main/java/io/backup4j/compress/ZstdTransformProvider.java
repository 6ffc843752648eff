package io.backup4j.compress;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import io.backup4j.api.Transform;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.TransformProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;

/**
 * Provides {@code zstd}: Zstandard compression through zstd-jni; each part is a standard zstd frame with a content
 * checksum, readable with {@code zstd -d}.
 *
 * <p>Parameters (all optional, recorded in the manifest, none needed to restore):
 * <ul>
 *   <li>{@code level}: 1 (fastest) to 22 (smallest), or -7 to -1 for zstd's fast levels; default 3.
 *   <li>{@code long}: long-distance matching with a window of 2^{@code long} bytes, 10 to 27; 0 (default) is off.
 *       Capped at 27 (128 MiB) so that plain {@code zstd -d} and our decoder, whose window limit is the same, read
 *       every part without a {@code --memory} option, and decoding memory stays bounded.
 *   <li>{@code workers}: compression threads, 0 to 200; 0 (default) compresses in the calling thread. Two workers
 *       roughly double zstd-3's throughput on two cores. The output is one ordinary frame either way.
 * </ul>
 */
public final class ZstdTransformProvider implements TransformProvider {
  /** The provider name. */
  public static final String NAME = "zstd";

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public ZstdTransformProvider() {
    // stateless
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "zstd compression (.zst, read with `zstd -d`): level 1..22 or -7..-1 (default 3), "
        + "long 0 or 10..27 (long-distance window log, default 0 = off), workers 0..200 (default 0)";
  }

  @Override
  public Transform create(Map<String, String> parameters, ProviderContext context) {
    Objects.requireNonNull(context, "context is null");
    return ZstdTransform.create(parameters);
  }

  static final class ZstdTransform extends CompressionTransform {
    static final int DEFAULT_LEVEL = 3;
    static final int MAX_WINDOW_LOG = 27;

    private final int level;
    private final int windowLog;
    private final int workers;

    private ZstdTransform(Params p, int level, int windowLog, int workers) {
      super(NAME, Map.of("level", Integer.toString(level), "long", Integer.toString(windowLog),
          "workers", Integer.toString(workers)), ".zst", p.unknown());
      this.level = level;
      this.windowLog = windowLog;
      this.workers = workers;
    }

    static ZstdTransform create(Map<String, String> parameters) {
      Params p = new Params(NAME, parameters);
      String levelRange = "an integer from 1 to 22, or -7 to -1 for zstd's fast levels";
      int level = p.intParam("level", DEFAULT_LEVEL, -7, 22, levelRange);
      if (level == 0) {
        throw p.invalid("level", "0", levelRange);
      }
      String longRange = "0 (off) or a window log from 10 to " + MAX_WINDOW_LOG;
      int windowLog = p.intParam("long", 0, 0, MAX_WINDOW_LOG, longRange);
      if (windowLog != 0 && windowLog < 10) {
        throw p.invalid("long", Integer.toString(windowLog), longRange);
      }
      int workers = p.intParam("workers", 0, 0, 200, "an integer from 0 (compress in the calling thread) to 200");
      return new ZstdTransform(p, level, windowLog, workers);
    }

    @Override
    OutputStream openEncoder(OutputStream out) throws IOException {
      ZstdOutputStreamNoFinalizer z = new ZstdOutputStreamNoFinalizer(out);
      try {
        z.setLevel(level);
        // The CLI writes a content checksum by default too; it lets `zstd -d` and we detect corruption.
        z.setChecksum(true);
        if (workers > 0) {
          z.setWorkers(workers);
        }
        if (windowLog > 0) {
          z.setLong(windowLog);
        }
      } catch (IOException | RuntimeException e) {
        z.closeWithoutClosingParentStream();
        throw e;
      }
      return z;
    }

    @Override
    InputStream openDecoder(InputStream in) throws IOException {
      return new ZstdDecoderInputStream(in);
    }

    @Override
    String formatName() {
      return NAME;
    }
  }
}
