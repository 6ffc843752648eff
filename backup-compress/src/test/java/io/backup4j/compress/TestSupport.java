package io.backup4j.compress;

import io.backup4j.api.Secret;
import io.backup4j.api.Transform;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.TransformProvider;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/** Data generators, stream shapes and provider lookup shared by the tests. */
final class TestSupport {
  static final List<String> FORMATS = List.of("zstd", "gzip", "lz4", "xz", "bzip2", "none");
  static final List<String> FRAMED_FORMATS = List.of("zstd", "gzip", "lz4", "xz", "bzip2");

  private TestSupport() {}

  static final ProviderContext CONTEXT = new ProviderContext() {
    @Override
    public Optional<String> environment(String name) {
      return Optional.empty();
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

  static TransformProvider provider(String name) {
    return switch (name) {
      case "zstd" -> new ZstdTransformProvider();
      case "gzip" -> new GzipTransformProvider();
      case "lz4" -> new Lz4TransformProvider();
      case "xz" -> new XzTransformProvider();
      case "bzip2" -> new Bzip2TransformProvider();
      case "none" -> new NoneTransformProvider();
      default -> throw new IllegalArgumentException(name);
    };
  }

  /** A transform with parameters that keep the slow formats quick in tests. */
  static Transform transform(String name) {
    return transform(name, Map.of());
  }

  static Transform transform(String name, Map<String, String> params) {
    return provider(name).create(params, CONTEXT);
  }

  /** How bytes are pushed into an encoder or pulled out of a decoder. */
  enum Shape {
    WHOLE, ONE_BYTE, RANDOM_CHUNKS
  }

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static final String[] WORDS = ("the of and to in is was for on that with as by at from it his an were are "
      + "which this be or has had first one their its new after but who not they have her she two been other when "
      + "there all during into school time may years more most only over city some world would where later up such "
      + "used many can state about national out known university united then made").split(" ");

  /** Text rows like a table dump: ids, timestamps, amounts, hex hashes and words; about 2-3x compressible. */
  static byte[] structured(int size, long seed) {
    Random r = new Random(seed);
    ByteArrayOutputStream out = new ByteArrayOutputStream(size + 256);
    long id = 1000;
    while (out.size() < size) {
      StringBuilder row = new StringBuilder();
      row.append(id++).append('\t').append(r.nextInt(100_000)).append('\t')
          .append(String.format("2026-%02d-%02d %02d:%02d:%02d", 1 + r.nextInt(12), 1 + r.nextInt(28),
              r.nextInt(24), r.nextInt(60), r.nextInt(60)))
          .append('\t').append(r.nextInt(1_000_000) / 100.0).append('\t');
      for (int i = 0; i < 16; i++) {
        row.append(Integer.toHexString(r.nextInt(16)));
      }
      row.append('\t');
      int words = 3 + r.nextInt(12);
      for (int i = 0; i < words; i++) {
        row.append(WORDS[(int) Math.min(WORDS.length - 1, Math.abs(r.nextGaussian()) * 25)]).append(' ');
      }
      row.append('\n');
      byte[] bytes = row.toString().getBytes(StandardCharsets.UTF_8);
      out.write(bytes, 0, bytes.length);
    }
    byte[] all = out.toByteArray();
    return java.util.Arrays.copyOf(all, size);
  }

  static byte[] encode(Transform t, byte[] data) throws IOException {
    return encode(t, data, Shape.WHOLE, 1);
  }

  static byte[] encode(Transform t, byte[] data, Shape shape, long seed) throws IOException {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (OutputStream out = t.encode(sink)) {
      write(out, data, shape, seed);
    }
    return sink.toByteArray();
  }

  static void write(OutputStream out, byte[] data, Shape shape, long seed) throws IOException {
    switch (shape) {
      case WHOLE -> out.write(data);
      case ONE_BYTE -> {
        for (byte b : data) {
          out.write(b);
        }
      }
      case RANDOM_CHUNKS -> {
        Random r = new Random(seed);
        int off = 0;
        while (off < data.length) {
          int n = Math.min(data.length - off, r.nextInt(r.nextBoolean() ? 17 : 200_000) + 1);
          out.write(data, off, n);
          off += n;
        }
      }
    }
  }

  static byte[] decode(Transform t, byte[] encoded) throws IOException {
    return decode(t, encoded, Shape.WHOLE, 1);
  }

  /** Decodes, with the upstream delivering bytes in {@code shape} and the reader pulling in the same shape. */
  static byte[] decode(Transform t, byte[] encoded, Shape shape, long seed) throws IOException {
    InputStream upstream = shaped(new ByteArrayInputStream(encoded), shape, seed);
    try (InputStream in = t.decode(upstream)) {
      return readAll(in, shape, seed + 1);
    }
  }

  static byte[] readAll(InputStream in, Shape shape, long seed) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Random r = new Random(seed);
    byte[] buf = new byte[256 * 1024];
    while (true) {
      if (shape == Shape.ONE_BYTE) {
        int b = in.read();
        if (b < 0) {
          break;
        }
        out.write(b);
      } else {
        int len = shape == Shape.WHOLE ? buf.length : 1 + r.nextInt(r.nextBoolean() ? 7 : buf.length);
        int n = in.read(buf, 0, len);
        if (n < 0) {
          break;
        }
        out.write(buf, 0, n);
      }
    }
    return out.toByteArray();
  }

  /** An input stream that returns at most one byte per read, or random short reads. */
  static InputStream shaped(InputStream in, Shape shape, long seed) {
    if (shape == Shape.WHOLE) {
      return in;
    }
    Random r = new Random(seed);
    return new FilterInputStream(in) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int max = shape == Shape.ONE_BYTE ? 1 : 1 + r.nextInt(r.nextBoolean() ? 3 : 70_000);
        return super.read(b, off, Math.min(len, max));
      }

      @Override
      public int available() {
        return 0; // as a network stream would say
      }
    };
  }
}
