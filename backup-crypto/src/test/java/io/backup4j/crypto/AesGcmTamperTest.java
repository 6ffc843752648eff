package io.backup4j.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.Transform;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a stored stream can be damaged or manipulated ends in an {@link IntegrityException} before end-of-stream,
 * and no byte of the bad segment is released.
 */
class AesGcmTamperTest {
  static final int SEG = 4096;
  static final int SEALED_SEG = SEG + 16;
  static final int SEGMENTS = 5;

  @TempDir Path dir;
  Transform t;
  byte[] plain;
  byte[] sealed;
  int header;

  @BeforeEach
  void encrypt() throws IOException {
    TestContext ctx = new TestContext(dir).env("K", AesGcmRoundTripTest.KEY_HEX);
    t = new AesGcmTransformProvider().create(Map.of("keyEnv", "K", "segmentSize", "4096"), ctx);
    plain = Streams.random(SEGMENTS * SEG - 100, 42); // 4 full segments and a final one of SEG-100 bytes
    sealed = Streams.encode(t, plain);
    header = AesGcmRoundTripTest.headerLength(sealed);
    assertThat(sealed.length).isEqualTo(header + SEGMENTS * 16 + plain.length);
  }

  /** Asserts an IntegrityException and that exactly the plaintext of the segments before {@code badSegment} was released. */
  void assertFailsAtSegment(byte[] damaged, int badSegment) {
    Streams.Released r = Streams.decodeUntilFailure(t, damaged);
    assertThat(r.failure()).isInstanceOf(IntegrityException.class);
    int released = Math.min(badSegment * SEG, plain.length);
    assertThat(r.bytes()).hasSize(released);
    assertThat(r.bytes()).isEqualTo(Arrays.copyOf(plain, released));
  }

  int segmentStart(int i) {
    return header + i * SEALED_SEG;
  }

  @Test
  void flippedBitInAnyHeaderByteFailsBeforeAnyPlaintext() {
    for (int i = 0; i < header; i++) {
      byte[] d = sealed.clone();
      d[i] ^= 0x10;
      Streams.Released r = Streams.decodeUntilFailure(t, d);
      assertThat(r.failure()).as("flip in header byte %d", i).isInstanceOf(IntegrityException.class);
      assertThat(r.bytes()).as("flip in header byte %d", i).isEmpty();
    }
  }

  @Test
  void flippedBitInBodyOrTagOfEachSegmentFailsAtThatSegment() {
    for (int s = 0; s < SEGMENTS; s++) {
      int end = s == SEGMENTS - 1 ? sealed.length : segmentStart(s + 1);
      for (int pos : new int[] {segmentStart(s), segmentStart(s) + 1000, end - 17, end - 16, end - 1}) {
        byte[] d = sealed.clone();
        d[pos] ^= 0x01;
        assertFailsAtSegment(d, s);
      }
    }
  }

  @Test
  void truncationAtEverySegmentBoundaryFailsBeforeEof() {
    assertFailsAtSegment(Arrays.copyOf(sealed, header), 0);
    for (int s = 1; s < SEGMENTS; s++) {
      // the last present segment was sealed as "not last": it fails as a final segment
      assertFailsAtSegment(Arrays.copyOf(sealed, segmentStart(s)), s - 1);
    }
  }

  @Test
  void truncationInsideEverySegmentFailsAtThatSegment() {
    for (int s = 0; s < SEGMENTS; s++) {
      for (int cut : new int[] {1, 15, 16, 17, 2000, SEALED_SEG - 1}) {
        int at = segmentStart(s) + cut;
        if (at < sealed.length) {
          assertFailsAtSegment(Arrays.copyOf(sealed, at), s);
        }
      }
    }
    assertFailsAtSegment(Arrays.copyOf(sealed, sealed.length - 1), SEGMENTS - 1);
  }

  @Test
  void truncatedHeaderFailsWithoutPlaintext() {
    for (int n : new int[] {0, 1, 8, 11, 30, header - 1}) {
      Streams.Released r = Streams.decodeUntilFailure(t, Arrays.copyOf(sealed, n));
      assertThat(r.failure()).as("cut at %d", n).isInstanceOf(IntegrityException.class);
      assertThat(r.bytes()).isEmpty();
    }
  }

  @Test
  void droppedLastSegmentFails() {
    assertFailsAtSegment(Arrays.copyOf(sealed, segmentStart(SEGMENTS - 1)), SEGMENTS - 2);
  }

  @Test
  void droppedMiddleSegmentFails() {
    ByteArrayOutputStream d = new ByteArrayOutputStream();
    d.write(sealed, 0, segmentStart(2));
    d.write(sealed, segmentStart(3), sealed.length - segmentStart(3));
    assertFailsAtSegment(d.toByteArray(), 2);
  }

  @Test
  void reorderedSegmentsFail() {
    byte[] d = sealed.clone();
    System.arraycopy(sealed, segmentStart(1), d, segmentStart(2), SEALED_SEG);
    System.arraycopy(sealed, segmentStart(2), d, segmentStart(1), SEALED_SEG);
    assertFailsAtSegment(d, 1);
  }

  @Test
  void segmentSplicedFromAnotherFileWithTheSameKeyFails() throws IOException {
    byte[] other = Streams.encode(t, plain); // same key, same plaintext, same position: different stream
    byte[] d = sealed.clone();
    System.arraycopy(other, segmentStart(2), d, segmentStart(2), SEALED_SEG);
    assertFailsAtSegment(d, 2);
    // the other file's header over ours: every segment is foreign
    byte[] e = sealed.clone();
    System.arraycopy(other, 0, e, 0, header);
    assertFailsAtSegment(e, 0);
  }

  @Test
  void appendedGarbageFails() {
    for (int extra : new int[] {1, 16, 100, SEALED_SEG}) {
      byte[] d = Arrays.copyOf(sealed, sealed.length + extra);
      Arrays.fill(d, sealed.length, d.length, (byte) 0x5A);
      assertFailsAtSegment(d, SEGMENTS - 1);
    }
  }

  @Test
  void appendedCopyOfAFinalFullSegmentFails() throws IOException {
    byte[] p = Streams.random(2 * SEG, 5); // final segment is full
    byte[] s = Streams.encode(t, p);
    int h = AesGcmRoundTripTest.headerLength(s);
    byte[] d = Arrays.copyOf(s, s.length + SEALED_SEG);
    System.arraycopy(s, h + SEALED_SEG, d, s.length, SEALED_SEG);
    Streams.Released r = Streams.decodeUntilFailure(t, d);
    assertThat(r.failure()).isInstanceOf(IntegrityException.class);
    assertThat(r.bytes()).isEqualTo(Arrays.copyOf(p, SEG));
  }

  @Test
  void emptyStreamWithoutItsFinalSegmentFails() throws IOException {
    byte[] s = Streams.encode(t, new byte[0]);
    int h = AesGcmRoundTripTest.headerLength(s);
    assertThat(s).hasSize(h + 16);
    assertFailsAtSegment(Arrays.copyOf(s, h), 0);
  }

  @Test
  void decoderStaysFailedAfterAnIntegrityError() throws IOException {
    byte[] d = sealed.clone();
    d[segmentStart(1) + 5] ^= 1;
    var in = t.decode(new java.io.ByteArrayInputStream(d));
    in.readNBytes(SEG);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> in.read()).isInstanceOf(IntegrityException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> in.read()).isInstanceOf(IntegrityException.class);
  }

  @Test
  void forgedHeaderWithRecomputedCrcIsRefusedAsWrongKey() {
    // An attacker can recompute the CRC32C but not the keyed MAC: the stream is refused before any plaintext.
    byte[] d = sealed.clone();
    d[20] ^= 1; // inside the salt
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(d, 0, header - 4);
    java.nio.ByteBuffer.wrap(d).putInt(header - 4, (int) crc.getValue());
    Streams.Released r = Streams.decodeUntilFailure(t, d);
    assertThat(r.failure()).isInstanceOf(AccessDeniedException.class);
    assertThat(r.bytes()).isEmpty();
  }
}
