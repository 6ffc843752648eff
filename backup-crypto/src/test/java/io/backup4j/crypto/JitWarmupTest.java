package io.backup4j.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The warm-up swallows its failures (they only cost speed), so a broken round would go unnoticed: each direction
 * must complete, decryptions opening what the warm-up sealed.
 */
class JitWarmupTest {
  @Test
  void encryptionRoundsComplete() {
    assertThat(SegmentCipher.JitWarmup.run(AesGcmTransformProvider.DEFAULT_SEGMENT, false)).isTrue();
  }

  @Test
  void decryptionRoundsOpenWhatTheySealed() {
    assertThat(SegmentCipher.JitWarmup.run(AesGcmTransformProvider.DEFAULT_SEGMENT, true)).isTrue();
  }
}
