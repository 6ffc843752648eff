package io.backup4j.compress;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.Transform;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Parts written by backup4j are read by the real command-line tools, and the tools' output by backup4j: the promise
 * that a backup can be restored with {@code zstd -d} (or gunzip, lz4, xz, bzip2) and no backup4j at all.
 */
class CommandLineInteropTest {
  @TempDir
  Path dir;

  static List<Arguments> ourOutput() {
    return List.of(
        Arguments.of("zstd", Map.of(), "zstd"),
        Arguments.of("zstd", Map.of("level", "1"), "zstd"),
        Arguments.of("zstd", Map.of("level", "19"), "zstd"),
        Arguments.of("zstd", Map.of("workers", "2"), "zstd"),
        Arguments.of("zstd", Map.of("long", "27"), "zstd"),
        Arguments.of("gzip", Map.of(), "gzip"),
        Arguments.of("gzip", Map.of("level", "1"), "gzip"),
        Arguments.of("lz4", Map.of(), "lz4"),
        Arguments.of("lz4", Map.of("blockSize", "64KB"), "lz4"),
        Arguments.of("xz", Map.of(), "xz"),
        Arguments.of("bzip2", Map.of(), "bzip2"));
  }

  @ParameterizedTest(name = "{0} {1} read by {2} -d")
  @MethodSource("ourOutput")
  void aPartWrittenByBackup4jIsDecompressedByTheCommandLineTool(
      String format, Map<String, String> params, String tool) throws Exception {
    requireTool(tool);
    byte[] data = sample();
    Transform t = TestSupport.transform(format, params);
    Path part = dir.resolve("part" + t.fileSuffix());
    Files.write(part, TestSupport.encode(t, data, TestSupport.Shape.RANDOM_CHUNKS, 1));

    Path out = run(List.of(tool, "-d", "-c", part.toString()));

    assertThat(Files.readAllBytes(out)).isEqualTo(data);
  }

  static List<Arguments> toolOutput() {
    return List.of(
        Arguments.of("zstd", List.of("zstd", "-q", "-c", "-3")),
        Arguments.of("zstd", List.of("zstd", "-q", "-c", "-1", "-T2")),
        Arguments.of("zstd", List.of("zstd", "-q", "-c", "--long=27")),
        Arguments.of("zstd", List.of("zstd", "-q", "-c", "--no-check")),
        Arguments.of("gzip", List.of("gzip", "-c", "-6")),
        Arguments.of("gzip", List.of("gzip", "-c", "-n", "-1")),
        Arguments.of("lz4", List.of("lz4", "-q", "-c")),
        Arguments.of("lz4", List.of("lz4", "-q", "-c", "-B4", "--no-frame-crc")),
        Arguments.of("lz4", List.of("lz4", "-q", "-c", "-9", "-BX")),
        Arguments.of("xz", List.of("xz", "-c", "-T1")),
        Arguments.of("xz", List.of("xz", "-c", "-1", "-T2", "--block-size=300KiB")),
        Arguments.of("bzip2", List.of("bzip2", "-c", "-9")));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("toolOutput")
  void outputOfTheCommandLineToolIsDecodedByBackup4j(String format, List<String> command) throws Exception {
    requireTool(command.get(0));
    byte[] data = sample();
    Path raw = dir.resolve("raw.dat");
    Files.write(raw, data);
    List<String> args = new ArrayList<>(command);
    args.add(raw.toString());

    Path compressed = run(args);

    Transform t = TestSupport.transform(format);
    assertThat(TestSupport.decode(t, Files.readAllBytes(compressed), TestSupport.Shape.RANDOM_CHUNKS, 3))
        .isEqualTo(data);
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"zstd", "gzip", "lz4", "xz", "bzip2"})
  void anEmptyPartIsAnEmptyFileToTheCommandLineTool(String format) throws Exception {
    requireTool(format);
    Transform t = TestSupport.transform(format);
    Path part = dir.resolve("empty" + t.fileSuffix());
    Files.write(part, TestSupport.encode(t, new byte[0]));

    Path out = run(List.of(format, "-d", "-c", part.toString()));

    assertThat(Files.size(out)).isZero();
  }

  @org.junit.jupiter.api.Test
  void lz4FramesWithDependentBlocksAreRefusedNotMisread() throws Exception {
    // `lz4 -BD` links blocks; lz4-java cannot decode that. backup4j never writes it, but a foreign file must fail
    // loudly rather than decode wrongly.
    requireTool("lz4");
    Path raw = dir.resolve("raw.dat");
    Files.write(raw, sample());

    Path compressed = run(List.of("lz4", "-q", "-c", "-BD", "-B4", raw.toString()));

    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> TestSupport.decode(TestSupport.transform("lz4"), Files.readAllBytes(compressed)))
        .isInstanceOf(IOException.class)
        .hasCauseInstanceOf(io.backup4j.api.IntegrityException.class);
  }

  private static byte[] sample() {
    return DamagedStreamTest.concat(TestSupport.structured(1024 * 1024, 77), TestSupport.random(100_000, 78));
  }

  /** Runs a command with its standard output sent to a file, which is returned; fails on a non-zero exit. */
  private Path run(List<String> command) throws IOException, InterruptedException {
    Path out = Files.createTempFile(dir, "stdout", ".bin");
    Path err = Files.createTempFile(dir, "stderr", ".txt");
    Process p = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(out.toFile())
        .redirectError(err.toFile())
        .start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(command + " did not finish within 120 s");
    }
    assertThat(p.exitValue())
        .as("%s exit code; stderr: %s", command, Files.readString(err))
        .isZero();
    return out;
  }

  static void requireTool(String tool) {
    Assumptions.assumeTrue(onPath(tool), () -> "SKIPPED: the command-line tool '" + tool + "' is not installed, so "
        + "interoperability with it is NOT tested here; install it (Debian: zstd, gzip, lz4, xz-utils, bzip2) - "
        + "CI does");
  }

  static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String d : path.split(File.pathSeparator)) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }
}
