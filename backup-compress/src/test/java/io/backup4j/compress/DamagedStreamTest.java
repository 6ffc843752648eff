package io.backup4j.compress;

import static io.backup4j.compress.TestSupport.encode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.IntegrityException;
import io.backup4j.api.Transform;
import io.backup4j.compress.TestSupport.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Truncated, extended and corrupted streams fail with an integrity error and never end early. */
class DamagedStreamTest {
  static java.util.List<String> framed() {
    return TestSupport.FRAMED_FORMATS;
  }

  /** Small blocks so that a 300 KB stream has many blocks and cut points inside, between and after them. */
  private static Transform smallBlocks(String format) {
    return switch (format) {
      case "lz4" -> TestSupport.transform("lz4", Map.of("blockSize", "64KB"));
      case "bzip2" -> TestSupport.transform("bzip2", Map.of("level", "1"));
      default -> TestSupport.transform(format);
    };
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("framed")
  void truncatedStreamFailsBeforeEof(String format) throws Exception {
    Transform t = smallBlocks(format);
    byte[] data = TestSupport.structured(300_000, 1);
    byte[] encoded = encode(t, data);
    TreeSet<Integer> cuts = new TreeSet<>();
    for (int i = 0; i < Math.min(64, encoded.length); i++) {
      cuts.add(i); // inside the header
      cuts.add(encoded.length - 1 - i); // inside the last block and the trailer
    }
    Random r = new Random(5);
    for (int i = 0; i < 40; i++) {
      cuts.add(r.nextInt(encoded.length));
    }

    for (int cut : cuts) {
      byte[] truncated = Arrays.copyOf(encoded, cut);
      for (Shape shape : new Shape[] {Shape.WHOLE, Shape.RANDOM_CHUNKS}) {
        assertThatThrownBy(() -> TestSupport.decode(t, truncated, shape, cut))
            .as("%s cut to %d of %d bytes (%s)", format, cut, encoded.length, shape)
            .isInstanceOf(IOException.class)
            .hasCauseInstanceOf(IntegrityException.class)
            .hasMessageContaining(format);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("framed")
  void emptyInputIsNotAnEmptyStream(String format) {
    Transform t = TestSupport.transform(format);

    assertThatThrownBy(() -> TestSupport.decode(t, new byte[0]))
        .isInstanceOf(IOException.class)
        .hasCauseInstanceOf(IntegrityException.class);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("framed")
  void bytesAfterTheLastFrameAreAnError(String format) throws Exception {
    Transform t = TestSupport.transform(format);
    byte[] encoded = encode(t, TestSupport.structured(10_000, 2));

    for (byte[] garbage : new byte[][] {
        {0}, {0, 0}, {0, 0, 0, 0}, new byte[512], {'x'}, {1, 2, 3}, TestSupport.random(7, 1),
        TestSupport.random(100, 2), "trailing text\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
        Arrays.copyOf(encoded, 3)}) {
      if (format.equals("xz") && isStreamPadding(garbage)) {
        continue; // see xzStreamPaddingIsAcceptedAsXzDoes
      }
      byte[] extended = concat(encoded, garbage);
      assertThatThrownBy(() -> TestSupport.decode(t, extended))
          .as("%s followed by %d bytes of garbage", format, garbage.length)
          .isInstanceOf(IOException.class)
          .hasCauseInstanceOf(IntegrityException.class);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("framed")
  void concatenatedStreamsDecodeToTheConcatenationAsTheCommandLineToolDoes(String format) throws Exception {
    Transform t = TestSupport.transform(format);
    byte[] a = TestSupport.structured(70_000, 3);
    byte[] b = TestSupport.random(1000, 4);
    byte[] empty = new byte[0];

    byte[] joined = concat(concat(encode(t, a), encode(t, empty)), encode(t, b));

    assertThat(TestSupport.decode(t, joined, Shape.RANDOM_CHUNKS, 9)).isEqualTo(concat(a, b));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("framed")
  void aFlippedBitFailsWithAnIntegrityError(String format) throws Exception {
    Transform t = smallBlocks(format);
    byte[] encoded = encode(t, TestSupport.structured(200_000, 6));
    Random r = new Random(8);
    for (int i = 0; i < 25; i++) {
      byte[] damaged = encoded.clone();
      // The middle half: gzip's header (mtime, OS) and bzip2's final padding bits are not covered by any check.
      int pos = encoded.length / 4 + r.nextInt(encoded.length / 2);
      damaged[pos] ^= (byte) (1 << r.nextInt(8));

      assertThatThrownBy(() -> TestSupport.decode(t, damaged))
          .as("%s with a bit flipped at %d", format, pos)
          .isInstanceOf(IOException.class)
          .hasCauseInstanceOf(IntegrityException.class);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("framed")
  void noBytesAreReturnedPastTheDamageAndEofNeverComes(String format) throws Exception {
    Transform t = smallBlocks(format);
    byte[] data = TestSupport.structured(300_000, 12);
    byte[] truncated = Arrays.copyOf(encode(t, data), encode(t, data).length - 5);
    ByteArrayOutputStream got = new ByteArrayOutputStream();

    try (InputStream in = t.decode(new ByteArrayInputStream(truncated))) {
      byte[] buf = new byte[4096];
      assertThatThrownBy(() -> {
        int n;
        while ((n = in.read(buf)) >= 0) {
          got.write(buf, 0, n);
        }
      }).isInstanceOf(IOException.class);
    }
    byte[] prefix = got.toByteArray();
    assertThat(prefix.length).isLessThanOrEqualTo(data.length);
    assertThat(prefix).isEqualTo(Arrays.copyOf(data, prefix.length));
  }

  @org.junit.jupiter.api.Test
  void xzStreamPaddingIsAcceptedAsXzDoes() throws Exception {
    // The .xz format allows null bytes in multiples of four after a stream (spec section 2.2); `xz -d` accepts them.
    Transform t = TestSupport.transform("xz");
    byte[] data = TestSupport.structured(1000, 1);

    assertThat(TestSupport.decode(t, concat(encode(t, data), new byte[8]))).isEqualTo(data);
    assertThatThrownBy(() -> TestSupport.decode(t, concat(encode(t, data), new byte[6])))
        .hasCauseInstanceOf(IntegrityException.class);
  }

  private static boolean isStreamPadding(byte[] garbage) {
    if (garbage.length % 4 != 0) {
      return false;
    }
    for (byte b : garbage) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
