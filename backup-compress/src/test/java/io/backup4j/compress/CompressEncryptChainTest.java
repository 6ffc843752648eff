package io.backup4j.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.IntegrityException;
import io.backup4j.api.Transform;
import io.backup4j.crypto.AesGcmTransformProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The chain a real backup uses, a compressor followed by aes-gcm, composed exactly as the engine composes it (raw →
 * compress → encrypt → storage; decode in reverse). Each layer has its own tests; this one checks the layers at
 * their seams: sizes 0 and 1, compressed output that ends one byte before, exactly at and one byte after an
 * aes-gcm segment boundary, many segments, every write/read shape, and damage anywhere in the stored bytes.
 */
class CompressEncryptChainTest {
  static final List<String> COMPRESSORS = List.of("zstd", "gzip", "lz4");
  static Path keyDir;
  static Path keyFile;

  /** One key for every case, in an owner-only directory, removed when the test JVM exits. */
  static synchronized void makeKey() throws IOException {
    if (keyFile != null) {
      return;
    }
    keyDir = Files.createTempDirectory("chain-key", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    keyDir.toFile().deleteOnExit();
    keyFile = keyDir.resolve("backup.key");
    Files.writeString(keyFile, HexFormat.of().formatHex(TestSupport.random(32, 99)));
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
    keyFile.toFile().deleteOnExit();
  }

  /** compress then encrypt, as one transform. */
  static Transform chain(String compressor, int segmentSize) {
    try {
      makeKey();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Transform c = TestSupport.transform(compressor);
    Transform a = new AesGcmTransformProvider().create(
        Map.of("keyFile", keyFile.toString(), "segmentSize", Integer.toString(segmentSize)), TestSupport.CONTEXT);
    return new Transform() {
      @Override
      public io.backup4j.api.TransformSpec spec() {
        return c.spec();
      }

      @Override
      public String fileSuffix() {
        return c.fileSuffix() + a.fileSuffix();
      }

      @Override
      public OutputStream encode(OutputStream downstream) throws IOException {
        return c.encode(a.encode(downstream));
      }

      @Override
      public InputStream decode(InputStream upstream) throws IOException {
        return c.decode(a.decode(upstream));
      }
    };
  }

  static Stream<Arguments> cases() throws IOException {
    List<Arguments> out = new ArrayList<>();
    for (String c : COMPRESSORS) {
      out.add(Arguments.of(c, "empty", new byte[0], 4096));
      out.add(Arguments.of(c, "one byte", new byte[] {42}, 4096));
      // the compressed length L of this input is fixed (the encoders are deterministic), so segment sizes L-1, L and
      // L+1 put the end of the compressed stream one byte past, exactly at, and one byte before a segment boundary
      byte[] data = TestSupport.structured(60_000, 5);
      int compressed = TestSupport.encode(TestSupport.transform(c), data).length;
      assertThat(compressed).as("%s output must allow a segment size below it", c).isGreaterThan(4097);
      for (int seg : new int[] {compressed - 1, compressed, compressed + 1}) {
        out.add(Arguments.of(c, "compressed = segment " + (compressed - seg >= 0 ? "+" : "") + (compressed - seg),
            data, seg));
      }
      // with L an exact multiple of the segment size: several full segments and no partial one
      for (int seg = 4096; seg <= compressed / 2; seg++) {
        if (compressed % seg == 0) {
          out.add(Arguments.of(c, "compressed = " + compressed / seg + " whole segments", data, seg));
          break;
        }
      }
      out.add(Arguments.of(c, "many segments", TestSupport.structured(3 * 1024 * 1024 + 17, 6), 4096));
      out.add(Arguments.of(c, "incompressible, many segments", TestSupport.random(1024 * 1024 + 3, 7), 65536));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}+aes-gcm, {1}, segment {3}")
  @MethodSource("cases")
  void chainRoundTripsInEveryShape(String compressor, String what, byte[] data, int segmentSize) throws IOException {
    Transform t = chain(compressor, segmentSize);
    for (TestSupport.Shape shape : TestSupport.Shape.values()) {
      if (shape == TestSupport.Shape.ONE_BYTE && data.length > 100_000) {
        continue; // a byte at a time over megabytes adds minutes and no new seam
      }
      byte[] stored = TestSupport.encode(t, data, shape, 3);
      assertThat(TestSupport.decode(t, stored, shape, 4)).as("%s %s", what, shape).isEqualTo(data);
    }
  }

  @ParameterizedTest(name = "{0}+aes-gcm, {1}, segment {3}")
  @MethodSource("cases")
  void truncatedOrFlippedStoredBytesNeverDecode(String compressor, String what, byte[] data, int segmentSize)
      throws IOException {
    Transform t = chain(compressor, segmentSize);
    byte[] stored = TestSupport.encode(t, data);
    for (int cut : new int[] {0, stored.length / 2, stored.length - 17, stored.length - 1}) {
      byte[] prefix = Arrays.copyOf(stored, Math.max(0, cut));
      assertThatThrownBy(() -> TestSupport.decode(t, prefix)).as("cut at %d of %d", cut, stored.length)
          .satisfies(e -> assertThat(integrityFailure(e)).as("an integrity failure: %s", e).isTrue());
    }
    for (int at : new int[] {stored.length / 3, stored.length - 1}) {
      byte[] flipped = stored.clone();
      flipped[at] ^= 0x10;
      assertThatThrownBy(() -> TestSupport.decode(t, flipped)).as("bit flipped at %d of %d", at, stored.length)
          .satisfiesAnyOf(e -> assertThat(e).isInstanceOf(IOException.class),
              e -> assertThat(e).isInstanceOf(io.backup4j.api.BackupException.class));
    }
  }

  /** The aes-gcm layer throws its IntegrityException directly; the compressors wrap theirs in an IOException. */
  static boolean integrityFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IntegrityException) {
        return true;
      }
    }
    return false;
  }

  @Property(tries = 60)
  void chainInvertsForAnyContentSegmentSizeAndChunking(
      @ForAll("compressors") String compressor,
      @ForAll("contents") byte[] data,
      @ForAll @IntRange(min = 4096, max = 70_000) int segmentSize,
      @ForAll @IntRange(min = 0, max = 1000) int seed) throws IOException {
    Transform t = chain(compressor, segmentSize);
    byte[] stored = TestSupport.encode(t, data, TestSupport.Shape.RANDOM_CHUNKS, seed);
    assertThat(TestSupport.decode(t, stored, TestSupport.Shape.RANDOM_CHUNKS, seed + 1)).isEqualTo(data);
  }

  @Provide
  Arbitrary<String> compressors() {
    return Arbitraries.of(COMPRESSORS);
  }

  @Provide
  Arbitrary<byte[]> contents() {
    return Arbitraries.oneOf(
        Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(150_000),
        Arbitraries.integers().between(0, 400_000).flatMap(n ->
            Arbitraries.longs().map(s -> TestSupport.structured(n, s))));
  }
}
