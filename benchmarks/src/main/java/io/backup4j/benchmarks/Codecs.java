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
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The benchmarked codec configurations by short name ({@code zstd-1}, {@code zstd-3-w2}, {@code gzip-6},
 * {@code lz4}, {@code none}, {@code aes-gcm}) and chains of them joined by {@code +}
 * ({@code zstd-1+aes-gcm}), created through {@link ServiceLoader} exactly as the engine creates them.
 */
final class Codecs {
  /** Short names of the compressors measured alone. */
  static final List<String> NAMES = List.of("zstd-1", "zstd-3", "zstd-3-w2", "gzip-6", "lz4", "none");

  static final ProviderContext CONTEXT = new ProviderContext() {
    @Override
    public Optional<String> environment(String name) {
      return Optional.ofNullable(System.getenv(name));
    }

    @Override
    public Optional<Secret> secret(String name) {
      return Keys.secret(name);
    }

    @Override
    public Path temporaryDirectory() {
      return Path.of(System.getProperty("java.io.tmpdir"));
    }
  };

  /** One element of a chain: provider name and parameters. */
  record Spec(String name, Map<String, String> parameters) {}

  private Codecs() {}

  /** Parses {@code zstd-3-w2+aes-gcm} into provider names and parameters. */
  static List<Spec> parse(String chain) {
    List<Spec> specs = new ArrayList<>();
    for (String part : chain.split("\\+")) {
      Map<String, String> params = new TreeMap<>();
      String name = part;
      if (part.startsWith("zstd-")) {
        String[] p = part.split("-");
        name = "zstd";
        params.put("level", p[1]);
        if (p.length > 2) {
          params.put("workers", p[2].substring(1));
        }
      } else if (part.startsWith("gzip-")) {
        name = "gzip";
        params.put("level", part.substring(5));
      }
      specs.add(new Spec(name, params));
    }
    return specs;
  }

  /** The transforms for a chain, in encoding order. */
  static List<Transform> chain(String chain) {
    List<Transform> transforms = new ArrayList<>();
    for (Spec spec : parse(chain)) {
      transforms.add(provider(spec.name()).create(spec.parameters(), CONTEXT));
    }
    return transforms;
  }

  static TransformProvider provider(String name) {
    for (TransformProvider p : ServiceLoader.load(TransformProvider.class)) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    throw new IllegalArgumentException("no transform named '" + name + "' on the class path; installed: "
        + installed());
  }

  static TreeSet<String> installed() {
    TreeSet<String> names = new TreeSet<>();
    ServiceLoader.load(TransformProvider.class).forEach(p -> names.add(p.name()));
    return names;
  }

  /** Wraps {@code sink} in every transform of the chain; closing the result finishes them all. */
  static OutputStream encode(List<Transform> chain, OutputStream sink) throws IOException {
    OutputStream out = sink;
    for (int i = chain.size() - 1; i >= 0; i--) {
      out = chain.get(i).encode(out);
    }
    return out;
  }

  static long compressedSize(String chain, byte[] data) throws IOException {
    CountingOutputStream counter = new CountingOutputStream();
    try (OutputStream out = encode(chain(chain), counter)) {
      out.write(data);
    }
    return counter.count;
  }

  /** Prints the installed transform names, one per line (run.sh asks whether aes-gcm is there). */
  public static void main(String[] args) {
    installed().forEach(System.out::println);
  }

  /** Discards bytes, counting them; what a benchmark writes to so that only the transforms are measured. */
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
