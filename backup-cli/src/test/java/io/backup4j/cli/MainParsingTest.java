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

  private static String[] run(String... args) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    int rc = Main.run(args, new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8),
        new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
    return new String[] {Integer.toString(rc), out.toString(java.nio.charset.StandardCharsets.UTF_8),
        err.toString(java.nio.charset.StandardCharsets.UTF_8)};
  }

  @Test
  void theUsageListsEveryCommandAndACommandNamedFirstIsTheOnlyOneBuilt() {
    // a run that names its command first registers only that one (see Main.SUBCOMMANDS): its help must not change
    String[] help = run("--help");
    assertThat(help[0]).isEqualTo("0");
    for (String c : new String[] {"backup", "list", "verify", "restore", "delete", "prune", "unlock", "cleanup",
        "plugins", "key", "demo"}) {
      assertThat(help[1]).as("usage lists %s", c).containsPattern("(?m)^\\s+" + c + "\\s");
    }
    String[] backup = run("backup", "--repo", "file:/nonexistent");
    assertThat(backup[0]).isEqualTo(Integer.toString(ExitCodes.USAGE));
    assertThat(backup[2]).contains("--source=<uri>").contains("Usage: backup4j backup");
    String[] keyId = run("key", "id");
    assertThat(keyId[0]).isEqualTo(Integer.toString(ExitCodes.USAGE));
    assertThat(keyId[2]).contains("Usage: backup4j key id");
    String[] unknown = run("bakcup");
    assertThat(unknown[0]).isEqualTo(Integer.toString(ExitCodes.USAGE));
    assertThat(unknown[2]).contains("bakcup");
    String[] missing = run("list");
    assertThat(missing[0]).isEqualTo(Integer.toString(ExitCodes.USAGE));
    assertThat(missing[2]).contains("--repo").contains("Usage: backup4j list");
  }
}
