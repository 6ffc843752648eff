package io.backup4j.compress;

import static io.backup4j.compress.TestSupport.decode;
import static io.backup4j.compress.TestSupport.encode;
import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.Transform;
import io.backup4j.compress.TestSupport.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RoundTripTest {
  private static final int K64 = 64 * 1024;

  static List<Arguments> smallCases() {
    List<Arguments> cases = new ArrayList<>();
    for (String format : TestSupport.FORMATS) {
      for (int size : new int[] {0, 1, K64 - 1, K64, K64 + 1}) {
        for (String kind : List.of("random", "structured")) {
          for (Shape shape : Shape.values()) {
            cases.add(Arguments.of(format, size, kind, shape));
          }
        }
      }
    }
    return cases;
  }

  @ParameterizedTest(name = "{0} {1} bytes {2} {3}")
  @MethodSource("smallCases")
  void decodedBytesEqualTheOriginal(String format, int size, String kind, Shape shape) throws Exception {
    byte[] data = data(kind, size, size * 31L + kind.length());
    Transform t = TestSupport.transform(format);

    byte[] encoded = encode(t, data, shape, 7);

    assertThat(decode(t, encoded, shape, 11)).isEqualTo(data);
    if (!format.equals("none")) {
      assertThat(encoded).as("a compressed stream always has a header, even for empty input").isNotEmpty();
    }
  }

  static List<Arguments> largeCases() {
    List<Arguments> cases = new ArrayList<>();
    for (String format : TestSupport.FORMATS) {
      for (String kind : List.of("random", "structured")) {
        cases.add(Arguments.of(format, kind));
      }
    }
    return cases;
  }

  @ParameterizedTest(name = "{0} several MiB {1}")
  @MethodSource("largeCases")
  void severalMibRoundTripInRandomChunks(String format, String kind) throws Exception {
    int size = 3 * 1024 * 1024 + 17;
    byte[] data = data(kind, size, 42);
    Transform t = TestSupport.transform(format);

    byte[] encoded = encode(t, data, Shape.RANDOM_CHUNKS, 3);

    assertThat(decode(t, encoded, Shape.RANDOM_CHUNKS, 5)).isEqualTo(data);
    if (kind.equals("structured") && !format.equals("none")) {
      assertThat(encoded.length).as("structured rows compress").isLessThan(size * 3 / 4);
    }
  }

  static List<Arguments> parameterVariants() {
    return List.of(
        Arguments.of("zstd", Map.of("level", "1")),
        Arguments.of("zstd", Map.of("level", "19")),
        Arguments.of("zstd", Map.of("level", "-5")),
        Arguments.of("zstd", Map.of("level", "3", "workers", "2")),
        Arguments.of("zstd", Map.of("level", "3", "long", "27")),
        Arguments.of("gzip", Map.of("level", "1")),
        Arguments.of("gzip", Map.of("level", "9")),
        Arguments.of("lz4", Map.of("blockSize", "64KB")),
        Arguments.of("lz4", Map.of("blockSize", "256KB")),
        Arguments.of("lz4", Map.of("blockSize", "1MB")),
        Arguments.of("xz", Map.of("level", "0")),
        Arguments.of("bzip2", Map.of("level", "1")));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("parameterVariants")
  void everyParameterSettingRoundTripsAndRestoresFromTheRecordedSpecAlone(String format, Map<String, String> params)
      throws Exception {
    byte[] data = TestSupport.structured(1024 * 1024 + 3, 9);
    Transform writer = TestSupport.transform(format, params);

    byte[] encoded = encode(writer, data, Shape.RANDOM_CHUNKS, 1);

    Transform reader = TestSupport.transform(format, writer.spec().parameters());
    Transform readerWithoutParams = TestSupport.transform(format);
    assertThat(decode(reader, encoded, Shape.RANDOM_CHUNKS, 2)).isEqualTo(data);
    assertThat(decode(readerWithoutParams, encoded)).isEqualTo(data);
  }

  static byte[] data(String kind, int size, long seed) {
    return kind.equals("random") ? TestSupport.random(size, seed) : TestSupport.structured(size, seed);
  }
}
