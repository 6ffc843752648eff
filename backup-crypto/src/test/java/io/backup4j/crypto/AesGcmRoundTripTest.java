package io.backup4j.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.Transform;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AesGcmRoundTripTest {
  static final int SEG = 4096;
  static final String KEY_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

  @TempDir Path dir;

  Transform transform(int segmentSize) {
    TestContext ctx = new TestContext(dir).env("B4J_KEY", KEY_HEX);
    return new AesGcmTransformProvider().create(Map.of("keyEnv", "B4J_KEY", "segmentSize", Integer.toString(segmentSize)), ctx);
  }

  static Stream<Arguments> sizes() {
    return IntStream.of(0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG, 2 * SEG + 1, 7 * SEG + 123, 40 * SEG)
        .boxed().flatMap(n -> Stream.of(Arguments.of(n, "random"), Arguments.of(n, "structured")));
  }

  static byte[] data(int n, String kind) {
    return kind.equals("random") ? Streams.random(n, n) : Streams.structured(n);
  }

  @ParameterizedTest(name = "{0} bytes of {1} data")
  @MethodSource("sizes")
  void roundTripRestoresIdenticalBytes(int size, String kind) throws IOException {
    Transform t = transform(SEG);
    byte[] plain = data(size, kind);
    byte[] sealed = Streams.encode(t, plain);
    int segments = Math.max(1, (size + SEG - 1) / SEG);
    assertThat(sealed.length).isEqualTo(headerLength(sealed) + size + 16 * segments);
    assertThat(Streams.decode(t, sealed)).isEqualTo(plain);
  }

  @ParameterizedTest(name = "{0} bytes of {1} data")
  @MethodSource("sizes")
  void oneByteAtATimeWritesAndReadsRoundTrip(int size, String kind) throws IOException {
    if (size > 3 * SEG + 1) {
      return; // the byte-wise path is the same code at every size; keep the run short
    }
    Transform t = transform(SEG);
    byte[] plain = data(size, kind);
    byte[] sealed = Streams.encodeByteByByte(t, plain);
    assertThat(Streams.decodeByteByByte(t, sealed)).isEqualTo(plain);
    assertThat(Streams.decode(t, sealed)).isEqualTo(plain);
  }

  @Test
  void randomChunkWritesAndTricklingUpstreamRoundTrip() throws IOException {
    Transform t = transform(SEG);
    byte[] plain = Streams.random(13 * SEG + 77, 7);
    Random r = new Random(1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream enc = t.encode(out)) {
      int off = 0;
      while (off < plain.length) {
        int n = Math.min(plain.length - off, r.nextInt(3 * SEG));
        enc.write(plain, off, n);
        off += n;
      }
    }
    // An upstream that returns at most 3 bytes per read, like a slow socket.
    InputStream trickle = new java.io.FilterInputStream(new ByteArrayInputStream(out.toByteArray())) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, 3));
      }
    };
    try (InputStream in = t.decode(trickle)) {
      assertThat(in.readAllBytes()).isEqualTo(plain);
    }
  }

  @Test
  void defaultSegmentSizeIs64KiBAndIsRecorded() throws IOException {
    TestContext ctx = new TestContext(dir).env("B4J_KEY", KEY_HEX);
    Transform t = new AesGcmTransformProvider().create(Map.of("keyEnv", "B4J_KEY"), ctx);
    assertThat(t.spec().parameters()).containsEntry("segmentSize", "65536").containsEntry("formatVersion", "1")
        .containsEntry("kdf", "hkdf-sha256").containsKey("keyId");
    byte[] plain = Streams.random(200_000, 3);
    byte[] sealed = Streams.encode(t, plain);
    assertThat(sealed.length).isEqualTo(headerLength(sealed) + plain.length + 4 * 16);
    assertThat(Streams.decode(t, sealed)).isEqualTo(plain);
  }

  @Test
  void decoderReadsSegmentSizeFromHeaderNotFromOptions() throws IOException {
    byte[] plain = Streams.random(5 * SEG, 9);
    byte[] sealed = Streams.encode(transform(8192), plain);
    assertThat(Streams.decode(transform(SEG), sealed)).isEqualTo(plain);
  }

  @Test
  void twoEncryptionsOfTheSameDataDiffer() throws IOException {
    Transform t = transform(SEG);
    byte[] plain = Streams.structured(3 * SEG);
    byte[] a = Streams.encode(t, plain);
    byte[] b = Streams.encode(t, plain);
    assertThat(a).isNotEqualTo(b);
    // salt (offset 16, 32 bytes) and nonce prefix (offset 48, 7 bytes) are fresh per stream
    assertThat(HexFormat.of().formatHex(a, 16, 55)).isNotEqualTo(HexFormat.of().formatHex(b, 16, 55));
  }

  @Test
  void closeIsIdempotentAndWritesOneFinalSegment() throws IOException {
    Transform t = transform(SEG);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    OutputStream enc = t.encode(out);
    enc.write(new byte[10]);
    enc.close();
    int size = out.size();
    enc.close();
    assertThat(out.size()).isEqualTo(size);
    assertThat(Streams.decode(t, out.toByteArray())).isEqualTo(new byte[10]);
  }

  static int headerLength(byte[] sealed) {
    return ((sealed[9] & 0xFF) << 8) | (sealed[10] & 0xFF);
  }
}
