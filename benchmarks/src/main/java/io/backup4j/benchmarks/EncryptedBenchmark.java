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
 * Compression followed by AES-256-GCM ({@code aes-gcm} from backup-crypto), in one thread, in MB/s of input: the
 * cost encryption adds to each compressor. Compare with {@link CompressBenchmark} of the same compressor.
 *
 * <p>Needs backup-crypto's {@code aes-gcm} on the class path; {@code run.sh} runs this only when it is installed.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
public class EncryptedBenchmark {
  static final int SIZE = CompressBenchmark.SIZE;
  static final int CHUNK = CompressBenchmark.CHUNK;

  @Param({"aes-gcm", "zstd-1+aes-gcm", "zstd-3+aes-gcm", "zstd-3-w2+aes-gcm", "gzip-6+aes-gcm", "lz4+aes-gcm"})
  public String chain;

  private byte[] data;
  private List<Transform> transforms;

  @Setup
  public void setUp() {
    data = RealisticData.generate(SIZE, 42);
    transforms = Codecs.chain(chain);
  }

  @Benchmark
  @OperationsPerInvocation(SIZE)
  public long encode() throws IOException {
    Codecs.CountingOutputStream sink = new Codecs.CountingOutputStream();
    try (OutputStream out = Codecs.encode(transforms, sink)) {
      for (int off = 0; off < SIZE; off += CHUNK) {
        out.write(data, off, Math.min(CHUNK, SIZE - off));
      }
    }
    return sink.count;
  }
}
