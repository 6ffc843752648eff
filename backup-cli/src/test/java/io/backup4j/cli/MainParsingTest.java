package io.backup4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.ConfigurationException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MainParsingTest {
  @Test
  void sizesParseWithBinaryAndDecimalUnits() {
    assertThat(Main.parseSize("1048576", "x")).isEqualTo(1 << 20);
    assertThat(Main.parseSize("50MiB", "x")).isEqualTo(50L << 20);
    assertThat(Main.parseSize("50M", "x")).isEqualTo(50L << 20);
    assertThat(Main.parseSize("10MB/s", "x")).isEqualTo(10_000_000L);
    assertThat(Main.parseSize("1GiB", "x")).isEqualTo(1L << 30);
    assertThatThrownBy(() -> Main.parseSize("fast", "--max-read-rate")).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("--max-read-rate");
  }

  @Test
  void transformsParseNameAndParameters() {
    assertThat(Main.parseTransform("zstd")).isEqualTo(Map.entry("zstd", Map.of()));
    assertThat(Main.parseTransform("zstd:level=3,workers=2")).isEqualTo(Map.entry("zstd", Map.of("level", "3", "workers", "2")));
    assertThatThrownBy(() -> Main.parseTransform("aes-gcm:passphrase")).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("name=value");
  }

  @Test
  void exitCodesCoverEveryErrorCode() {
    for (io.backup4j.api.ErrorCode c : io.backup4j.api.ErrorCode.values()) {
      assertThat(ExitCodes.of(new io.backup4j.api.BackupException(c, "x"))).isBetween(1, 130);
    }
  }
}
