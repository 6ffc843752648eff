package io.backup4j.compress;

import io.backup4j.api.Transform;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.TransformProvider;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;

/**
 * Provides {@code none}: stores bytes unchanged, for data that is already compressed or encrypted.
 *
 * <p>It has no parameters and no file suffix. With no framing of its own it cannot detect truncation; the engine's
 * recorded length and SHA-256 of every part do that.
 */
public final class NoneTransformProvider implements TransformProvider {
  /** The provider name. */
  public static final String NAME = "none";

  /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
  public NoneTransformProvider() {
    // stateless
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "none: no compression, parts are stored as they are";
  }

  @Override
  public Transform create(Map<String, String> parameters, ProviderContext context) {
    Objects.requireNonNull(context, "context is null");
    return new NoneTransform(new Params(NAME, parameters));
  }

  static final class NoneTransform extends CompressionTransform {
    NoneTransform(Params p) {
      super(NAME, Map.of(), "", p.unknown());
    }

    @Override
    OutputStream openEncoder(OutputStream out) {
      return out;
    }

    @Override
    InputStream openDecoder(InputStream in) {
      // FilterInputStream passes read(byte[], int, int) through whole.
      return new FilterInputStream(in) { };
    }

    @Override
    String formatName() {
      return NAME;
    }
  }
}
