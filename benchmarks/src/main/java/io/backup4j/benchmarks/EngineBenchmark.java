package io.backup4j.benchmarks;

import io.backup4j.api.BackupSession;
import io.backup4j.api.BackupSource;
import io.backup4j.api.Manifest;
import io.backup4j.api.PartWriter;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole backup pipeline through the real engine: a 256 MiB part from memory, through the transform chain, hashed
 * and written (fsync, rename, manifest) to a {@code file:} repository in a temporary directory. MB/s of input.
 *
 * <p>The engine runs the stages concurrently, so on two cores this should approach the slowest stage's speed from
 * {@link CompressBenchmark} / {@link EncryptedBenchmark}; the disk is part of what is measured.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 3)
public class EngineBenchmark {
  static final int SIZE = 256 << 20; // large enough that per-backup fixed costs (lock, fsyncs, manifest) are amortised
  static final int CHUNK = 64 << 10;

  @Param({"none", "zstd-1", "lz4", "zstd-1+aes-gcm"})
  public String chain;

  private byte[] data;
  private Path repository;
  private Backups backups;

  @Setup
  public void setUp() throws IOException {
    data = RealisticData.generate(16 << 20, 42);
    repository = Files.createTempDirectory("backup4j-bench-");
    backups = Backups.builder().repository(repository.toUri().toString())
        .secret(Keys.SECRET_NAME, Keys.key()).build();
  }

  @Benchmark
  @OperationsPerInvocation(SIZE)
  public Manifest backup() {
    BackupJob.Builder job = BackupJob.builder().source(new MemorySource(data, SIZE));
    for (Codecs.Spec spec : Codecs.parse(chain)) {
      if (!spec.name().equals("none")) {
        job.transform(spec.name(), spec.parameters());
      }
    }
    return backups.backup(job.build());
  }

  /** Keeps the disk bounded: every backup of the iteration is deleted after it. */
  @TearDown(Level.Iteration)
  public void deleteBackups() {
    for (Manifest m : backups.list()) {
      backups.delete(m.id());
    }
  }

  @TearDown
  public void tearDown() throws IOException {
    backups.close();
    try (Stream<Path> s = Files.walk(repository)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** One part of {@code size} bytes: {@code data} repeated, written in 64 KiB chunks. */
  static final class MemorySource implements BackupSource {
    private final byte[] data;
    private final long size;

    MemorySource(byte[] data, long size) {
      this.data = data;
      this.size = size;
    }

    @Override
    public String kind() {
      return "bench";
    }

    @Override
    public String identity() {
      return "bench:memory";
    }

    @Override
    public void backup(BackupSession session) throws IOException {
      try (PartWriter w = session.openPart("rows.tsv")) {
        OutputStream out = w.stream();
        long written = 0;
        while (written < size) {
          int off = (int) (written % data.length);
          int n = (int) Math.min(Math.min(CHUNK, data.length - off), size - written);
          out.write(data, off, n);
          written += n;
        }
        w.commit();
      }
    }
  }
}
