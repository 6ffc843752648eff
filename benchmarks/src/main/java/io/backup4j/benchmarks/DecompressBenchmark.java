package io.backup4j.benchmarks;

import io.backup4j.api.Transform;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decompression (restore-side) throughput of each codec, in MB/s of decoded output ("ops/us" = MB/s, as in
 * {@link CompressBenchmark}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
public class DecompressBenchmark {
  static final int SIZE = CompressBenchmark.SIZE;

  @Param({"zstd-1", "zstd-3", "gzip-6", "lz4", "none"})
  public String codec;

  private byte[] encoded;
  private List<Transform> chain;
  private final byte[] buffer = new byte[64 << 10];

  @Setup
  public void setUp() throws IOException {
    chain = Codecs.chain(codec);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (OutputStream out = Codecs.encode(chain, sink)) {
      out.write(RealisticData.generate(SIZE, 42));
    }
    encoded = sink.toByteArray();
  }

  @Benchmark
  @OperationsPerInvocation(SIZE)
  public long decompress() throws IOException {
    InputStream in = new ByteArrayInputStream(encoded);
    for (Transform t : chain) {
      in = t.decode(in);
    }
    long total = 0;
    try (InputStream decoded = in) {
      int n;
      while ((n = decoded.read(buffer)) >= 0) {
        total += n;
      }
    }
    if (total != SIZE) {
      throw new IllegalStateException("decoded " + total + " bytes, expected " + SIZE);
    }
    return total;
  }
}
