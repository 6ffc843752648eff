package io.backup4j.benchmarks;

import io.backup4j.api.Secret;
import io.backup4j.api.Transform;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.TransformProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

/** The codec configurations that are benchmarked, by short name, created through {@link ServiceLoader}. */
final class Codecs {
  /** Short names: a provider name, optionally with a level and a worker count. */
  static final List<String> NAMES = List.of("zstd-1", "zstd-3", "zstd-3-w2", "gzip-6", "lz4", "none");

  private static final ProviderContext CONTEXT = new ProviderContext() {
    @Override
    public Optional<String> environment(String name) {
      return Optional.ofNullable(System.getenv(name));
    }

    @Override
    public Optional<Secret> secret(String name) {
      return Optional.empty();
    }

    @Override
    public Path temporaryDirectory() {
      return Path.of(System.getProperty("java.io.tmpdir"));
    }
  };

  private Codecs() {}

  /**
   * The transforms for a chain like {@code zstd-1+aes-gcm}, in encoding order. {@code extra} supplies parameters by
   * provider name (keys for encryption).
   */
  static List<Transform> chain(String spec, Map<String, Map<String, String>> extra) {
    List<Transform> chain = new ArrayList<>();
    for (String part : spec.split("\\+")) {
      chain.add(create(part, extra));
    }
    return chain;
  }

  static Transform create(String shortName, Map<String, Map<String, String>> extra) {
    String name = shortName;
    Map<String, String> params = new java.util.HashMap<>();
    if (shortName.startsWith("zstd-")) {
      String[] p = shortName.split("-");
      name = "zstd";
      params.put("level", p[1]);
      if (p.length > 2) {
        params.put("workers", p[2].substring(1));
      }
    } else if (shortName.startsWith("gzip-")) {
      name = "gzip";
      params.put("level", shortName.substring(5));
    }
    params.putAll(extra.getOrDefault(name, Map.of()));
    for (TransformProvider p : ServiceLoader.load(TransformProvider.class)) {
      if (p.name().equals(name)) {
        return p.create(params, CONTEXT);
      }
    }
    throw new IllegalArgumentException("no transform named '" + name + "' on the class path");
  }

  /** Wraps {@code sink} in every transform of the chain; closing the result finishes them all. */
  static OutputStream encode(List<Transform> chain, OutputStream sink) throws IOException {
    OutputStream out = sink;
    for (int i = chain.size() - 1; i >= 0; i--) {
      out = chain.get(i).encode(out);
    }
    return out;
  }

  static long compressedSize(String codec, byte[] data) throws IOException {
    CountingOutputStream counter = new CountingOutputStream();
    try (OutputStream out = encode(chain(codec, Map.of()), counter)) {
      out.write(data);
    }
    return counter.count;
  }

  /** Discards bytes, counting them; what a benchmark writes to so that only the transform is measured. */
  static final class CountingOutputStream extends OutputStream {
    long count;

    @Override
    public void write(int b) {
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count += len;
    }
  }
}
