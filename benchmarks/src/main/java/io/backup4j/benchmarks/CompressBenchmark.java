package io.backup4j.benchmarks;

import io.backup4j.api.Transform;
import java.io.IOException;
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
 * Compression throughput of each codec on {@link RealisticData}, in MB/s of input.
 *
 * <p>One operation is one input byte ({@link OperationsPerInvocation} = buffer size) and the unit is microseconds,
 * so the score "ops/us" reads directly as MB/s (10^6 bytes per second). Input is written in 64 KiB chunks, as the
 * engine's pipeline writes it; output goes to a counting sink, so only the codec is measured.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
public class CompressBenchmark {
  static final int SIZE = 16 << 20;
  static final int CHUNK = 64 << 10;

  @Param({"zstd-1", "zstd-3", "zstd-3-w2", "gzip-6", "lz4", "none"})
  public String codec;

  private byte[] data;
  private List<Transform> chain;

  @Setup
  public void setUp() {
    data = RealisticData.generate(SIZE, 42);
    chain = Codecs.chain(codec);
  }

  @Benchmark
  @OperationsPerInvocation(SIZE)
  public long compress() throws IOException {
    Codecs.CountingOutputStream sink = new Codecs.CountingOutputStream();
    try (OutputStream out = Codecs.encode(chain, sink)) {
      for (int off = 0; off < SIZE; off += CHUNK) {
        out.write(data, off, Math.min(CHUNK, SIZE - off));
      }
    }
    return sink.count;
  }

}
