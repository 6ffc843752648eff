package io.backup4j.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertAll;

import io.backup4j.api.ConfigurationException;
import io.backup4j.api.Transform;
import java.io.ByteArrayOutputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ParametersTest {
  @ParameterizedTest(name = "{0} {1}={2}")
  @CsvSource({
      "zstd, level, 23, 1 to 22",
      "zstd, level, 0, 1 to 22",
      "zstd, level, -8, 1 to 22",
      "zstd, level, fast, 1 to 22",
      "zstd, long, 9, 10 to 27",
      "zstd, long, 28, 10 to 27",
      "zstd, workers, -1, 0 (compress in the calling thread) to 200",
      "zstd, workers, 201, 0 (compress in the calling thread) to 200",
      "gzip, level, 0, 1 (fastest) to 9",
      "gzip, level, 10, 1 (fastest) to 9",
      "lz4, blockSize, 128KB, 64KB, 256KB, 1MB, 4MB",
      "xz, level, 10, 0 (fastest) to 9",
      "bzip2, level, 0, 1 to 9",
  })
  void anOutOfRangeParameterIsAConfigurationErrorNamingTheValidRange(
      String format, String key, String value, String range) {
    assertThatThrownBy(() -> TestSupport.transform(format, Map.of(key, value)))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining(format + " parameter '" + key + "'")
        .hasMessageContaining(range)
        .hasMessageContaining("got '" + value + "'");
  }

  @Test
  void defaultsAreRecordedInTheSpec() {
    assertAll(
        () -> assertThat(TestSupport.transform("zstd").spec().parameters())
            .containsExactlyInAnyOrderEntriesOf(Map.of("level", "3", "long", "0", "workers", "0")),
        () -> assertThat(TestSupport.transform("gzip").spec().parameters()).isEqualTo(Map.of("level", "6")),
        () -> assertThat(TestSupport.transform("lz4").spec().parameters()).isEqualTo(Map.of("blockSize", "4MB")),
        () -> assertThat(TestSupport.transform("xz").spec().parameters()).isEqualTo(Map.of("level", "6")),
        () -> assertThat(TestSupport.transform("bzip2").spec().parameters()).isEqualTo(Map.of("level", "9")),
        () -> assertThat(TestSupport.transform("none").spec().parameters()).isEmpty());
  }

  @Test
  void givenParametersAreRecordedNormalised() {
    Transform zstd = TestSupport.transform("zstd", Map.of("level", " 19 ", "workers", "2", "long", "27"));
    Transform lz4 = TestSupport.transform("lz4", Map.of("blockSize", "64k"));

    assertThat(zstd.spec().parameters()).isEqualTo(Map.of("level", "19", "long", "27", "workers", "2"));
    assertThat(lz4.spec().parameters()).isEqualTo(Map.of("blockSize", "64KB"));
    assertThat(zstd.name()).isEqualTo("zstd");
    assertThat(zstd).hasToString("zstd{level=19, long=27, workers=2}");
  }

  @Test
  void fileSuffixesNameTheFormat() {
    assertAll(
        () -> assertThat(TestSupport.transform("zstd").fileSuffix()).isEqualTo(".zst"),
        () -> assertThat(TestSupport.transform("gzip").fileSuffix()).isEqualTo(".gz"),
        () -> assertThat(TestSupport.transform("lz4").fileSuffix()).isEqualTo(".lz4"),
        () -> assertThat(TestSupport.transform("xz").fileSuffix()).isEqualTo(".xz"),
        () -> assertThat(TestSupport.transform("bzip2").fileSuffix()).isEqualTo(".bz2"),
        () -> assertThat(TestSupport.transform("none").fileSuffix()).isEmpty());
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"zstd", "gzip", "lz4", "xz", "bzip2", "none"})
  void unknownParametersDoNotBreakDecodingButFailEncodingBeforeAnyByteIsWritten(String format) throws Exception {
    byte[] data = TestSupport.structured(5000, 1);
    byte[] encoded = TestSupport.encode(TestSupport.transform(format), data);
    Map<String, String> fromNewerVersion = Map.of("dictionaryId", "7", "levle", "9");

    Transform t = TestSupport.transform(format, fromNewerVersion);

    assertThat(TestSupport.decode(t, encoded)).isEqualTo(data);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    assertThatThrownBy(() -> t.encode(sink))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("unknown " + format + " parameter(s) 'dictionaryId', 'levle'");
    assertThat(sink.size()).isZero();
  }
}
