package io.backup4j.crypto;

import io.backup4j.api.Transform;
import io.backup4j.api.TransformSpec;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.TransformProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** A test-only compression transform (JDK gzip), so chains can be tested without the compression module. */
public final class TestGzipTransformProvider implements TransformProvider {
  @Override
  public String name() {
    return "test-gzip";
  }

  @Override
  public Transform create(Map<String, String> parameters, ProviderContext context) {
    return new Transform() {
      @Override
      public TransformSpec spec() {
        return TransformSpec.of("test-gzip");
      }

      @Override
      public OutputStream encode(OutputStream downstream) throws IOException {
        return new GZIPOutputStream(downstream, 1 << 16);
      }

      @Override
      public InputStream decode(InputStream upstream) throws IOException {
        return new GZIPInputStream(upstream, 1 << 16);
      }

      @Override
      public String fileSuffix() {
        return ".gz";
      }
    };
  }
}
