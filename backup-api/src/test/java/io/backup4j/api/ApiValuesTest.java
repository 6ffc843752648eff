package io.backup4j.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ApiValuesTest {
  @ParameterizedTest
  @ValueSource(strings = {"../x", "/abs", "a//b", "a/./b", "a/..", "a\\b", "C:/x", "a\u0000b", "a\nb", "", "a/"})
  void invalidStorageKeysAreRejectedWithTheRule(String key) {
    assertThat(StorageKeys.isValid(key)).isFalse();
    assertThatThrownBy(() -> StorageKeys.validate(key)).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("invalid storage key");
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "data/20261125T081236Z-1/tree.tar.zst", "x/y.z/..a", "ünïcødé/名前"})
  void validStorageKeysPass(String key) {
    assertThat(StorageKeys.validate(key)).isEqualTo(key);
  }

  @Test
  void controlCharactersInErrorMessagesArePrintedEscaped() {
    assertThatThrownBy(() -> StorageKeys.validate("a\u001bb")).hasMessageContaining("\\u001b");
  }

  @Test
  void backupIdsAreValidatedAndSortByTime() {
    BackupId a = BackupId.generate(Instant.parse("2026-01-01T00:00:00Z"));
    BackupId b = BackupId.generate(Instant.parse("2026-01-02T00:00:00Z"));
    assertThat(a.value()).matches("20260101T000000Z-[0-9a-f]{8}");
    assertThat(a).isLessThan(b);
    for (String bad : new String[] {"..", "../a", "a/b", ".hidden", "", "x".repeat(65), "a..b"}) {
      assertThatThrownBy(() -> BackupId.of(bad)).as(bad).isInstanceOf(ConfigurationException.class);
    }
  }

  @Test
  void secretsNeverPrint() {
    Secret s = Secret.of("hunter2");
    assertThat(s.toString()).isEqualTo("****");
    assertThat(new String(s.reveal())).isEqualTo("hunter2");
    assertThat(Secret.ofBytes(new byte[] {1, 2}).revealBytes()).containsExactly(1, 2);
  }

  @Test
  void redactionRemovesPasswordsAndSensitiveParameters() {
    assertThat(Redaction.redact("postgres://app:s3cr%40t@db:5432/shop?sslmode=require&password=x&keyId=k1"))
        .isEqualTo("postgres://app:****@db:5432/shop?sslmode=require&password=****&keyId=k1");
    assertThat(Redaction.redact("failed: redis://:pw@host:6379 refused")).isEqualTo("failed: redis://:****@host:6379 refused");
    assertThat(Redaction.redact("s3://b/p?secretKey=abc&region=eu")).isEqualTo("s3://b/p?secretKey=****&region=eu");
    // passwords written without percent-encoding: never partly shown
    assertThat(Redaction.redact("postgres://app:p@ss@db/shop failed")).isEqualTo("postgres://app:****@db/shop failed");
    assertThat(Redaction.redact("redis://u:a/b?c#d@cache:6379")).isEqualTo("redis://u:****@cache:6379");
    assertThat(Redaction.isSensitiveName("keyId")).isFalse();
    assertThat(Redaction.isSensitiveName("sse-customer-key")).isTrue();
  }

  @Test
  void transformSpecRefusesToRecordSecrets() {
    assertThatThrownBy(() -> new TransformSpec("aes-gcm", Map.of("passphrase", "x")))
        .isInstanceOf(ConfigurationException.class).hasMessageNotContaining("=x");
    assertThat(new TransformSpec("aes-gcm", Map.of("keyId", "k1")).parameters()).containsEntry("keyId", "k1");
  }

  @Test
  void cancellationRunsCallbacksOnce() {
    Cancellation c = new Cancellation();
    int[] runs = {0};
    c.onCancel(() -> runs[0]++);
    c.cancel();
    c.cancel();
    assertThat(runs[0]).isEqualTo(1);
    assertThatThrownBy(c::throwIfCancelled).isInstanceOf(CancelledException.class);
    c.onCancel(() -> runs[0]++);
    assertThat(runs[0]).isEqualTo(2);
  }

  @Test
  void errorCodesCarryACategory() {
    assertThat(new IntegrityException("x").code().category()).isEqualTo(ErrorCode.Category.INTEGRITY);
    assertThat(new SinkException("x").code().category()).isEqualTo(ErrorCode.Category.UNAVAILABLE);
    assertThat(new LockedException("x").code()).isEqualTo(ErrorCode.LOCKED);
  }
}
