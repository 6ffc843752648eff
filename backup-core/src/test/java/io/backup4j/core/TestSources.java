package io.backup4j.core;

import io.backup4j.api.BackupSession;
import io.backup4j.api.BackupSource;
import io.backup4j.api.PartWriter;
import io.backup4j.api.RestoreSession;
import io.backup4j.api.RestoreTarget;
import io.backup4j.api.Transform;
import io.backup4j.api.TransformSpec;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.SourceProvider;
import io.backup4j.api.spi.TransformProvider;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

/** A deterministic source of parts, a target that collects them, and a toy transform, for engine tests. */
final class TestSources {
  static final Map<String, Map<String, byte[]>> RESTORED = new ConcurrentHashMap<>();

  private TestSources() {}

  /** What an ad-hoc test source does with its session. */
  @FunctionalInterface
  interface Body {
    void backup(BackupSession session) throws IOException;
  }

  /** A source of kind "test" with this identity, whose backup runs {@code body}. */
  static BackupSource source(String identity, Body body) {
    return new BackupSource() {
      @Override
      public String kind() {
        return "test";
      }

      @Override
      public String identity() {
        return identity;
      }

      @Override
      public void backup(BackupSession session) throws IOException {
        body.backup(session);
      }
    };
  }

  static byte[] data(String part, int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed ^ part.hashCode()).nextBytes(b);
    return b;
  }

  /** Writes {@code parts} parts of {@code size} bytes; fails in part {@code failPart} if set. */
  static final class Source implements BackupSource {
    final int parts;
    final int size;
    final long seed;
    final int failPart;
    final Runnable midway;

    Source(int parts, int size, long seed, int failPart, Runnable midway) {
      this.parts = parts;
      this.size = size;
      this.seed = seed;
      this.failPart = failPart;
      this.midway = midway;
    }

    Source(int parts, int size, long seed) {
      this(parts, size, seed, -1, () -> {});
    }

    @Override
    public String kind() {
      return "test";
    }

    @Override
    public String identity() {
      return "test:seed=" + seed;
    }

    @Override
    public void backup(BackupSession session) throws IOException {
      session.putMetadata("seed", Long.toString(seed));
      for (int i = 0; i < parts; i++) {
        String name = "part-" + i;
        byte[] d = data(name, size, seed);
        try (PartWriter w = session.openPart(name)) {
          w.stream().write(d, 0, d.length / 2);
          if (i == failPart) {
            throw new IOException("injected source failure in " + name);
          }
          midway.run();
          w.stream().write(d, d.length / 2, d.length - d.length / 2);
          w.commit();
        }
        session.progress("parts", i + 1, parts, name);
      }
    }
  }

  /** Provider of kind "test": sources from URIs {@code test:?parts=2&size=10&seed=1}, targets collecting into RESTORED. */
  public static final class Provider implements SourceProvider {
    public Provider() {}

    @Override
    public String name() {
      return "test";
    }

    @Override
    public BackupSource openSource(URI uri, Map<String, String> options, ProviderContext context) {
      return new Source(Integer.parseInt(options.getOrDefault("parts", "2")),
          Integer.parseInt(options.getOrDefault("size", "1000")), Long.parseLong(options.getOrDefault("seed", "1")));
    }

    @Override
    public RestoreTarget openTarget(String target, Map<String, String> options, ProviderContext context) {
      return new RestoreTarget() {
        @Override
        public String describe() {
          return target;
        }

        @Override
        public void restore(RestoreSession session) throws IOException {
          Map<String, byte[]> out = new LinkedHashMap<>();
          // option readBytes=N: a target that stops reading each part after N bytes (its format told it to)
          int limit = Integer.parseInt(options.getOrDefault("readBytes", Integer.toString(Integer.MAX_VALUE)));
          for (var p : session.manifest().parts()) {
            try (InputStream in = session.openPart(p.name())) {
              out.put(p.name(), in.readNBytes(limit));
            }
          }
          RESTORED.put(target, out);
        }
      };
    }
  }

  /** A reversible toy transform "xor" (key byte parameter), so stored bytes differ from raw ones. */
  public static final class Xor implements TransformProvider {
    public Xor() {}

    @Override
    public String name() {
      return "xor";
    }

    @Override
    public Transform create(Map<String, String> parameters, ProviderContext context) {
      int k = Integer.parseInt(parameters.getOrDefault("with", "90"));
      return new Transform() {
        @Override
        public TransformSpec spec() {
          return new TransformSpec("xor", Map.of("with", Integer.toString(k)));
        }

        @Override
        public OutputStream encode(OutputStream downstream) {
          return new FilterOutputStream(downstream) {
            @Override
            public void write(int b) throws IOException {
              out.write(b ^ k);
            }
          };
        }

        @Override
        public InputStream decode(InputStream upstream) {
          return new FilterInputStream(upstream) {
            @Override
            public int read() throws IOException {
              int b = in.read();
              return b < 0 ? b : (b ^ k) & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
              int n = in.read(b, off, len);
              for (int i = 0; i < n; i++) {
                b[off + i] = (byte) (b[off + i] ^ k);
              }
              return n;
            }
          };
        }

        @Override
        public String fileSuffix() {
          return ".xor";
        }
      };
    }
  }
}
