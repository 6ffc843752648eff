package io.backup4j.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.IntegrityException;
import io.backup4j.api.Transform;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Properties of the aes-gcm stream over arbitrary data, chunkings and damage. */
class AesGcmPropertiesTest {
  private static final int SEG = 4096;
  private final Transform transform = new AesGcmTransformProvider().create(
      Map.of("keyEnv", "K", "segmentSize", Integer.toString(SEG)),
      new TestContext(Path.of(System.getProperty("java.io.tmpdir"))).env("K", AesGcmRoundTripTest.KEY_HEX));

  @Provide
  Arbitrary<byte[]> data() {
    // biased towards segment boundaries, where off-by-one errors live
    Arbitrary<Integer> sizes = Arbitraries.oneOf(
        Arbitraries.integers().between(0, 4 * SEG + 3),
        Arbitraries.of(0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG - 1, 2 * SEG, 2 * SEG + 1, 3 * SEG));
    return sizes.flatMap(n -> Arbitraries.bytes().array(byte[].class).ofSize(n));
  }

  @Property(tries = 200)
  void anyDataWrittenInAnyChunksRoundTrips(@ForAll("data") byte[] plain,
      @ForAll @Size(min = 1, max = 8) List<@IntRange(min = 1, max = 3 * SEG) Integer> chunks) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream enc = transform.encode(out)) {
      int off = 0;
      int i = 0;
      while (off < plain.length) {
        int n = Math.min(plain.length - off, chunks.get(i++ % chunks.size()));
        enc.write(plain, off, n);
        off += n;
      }
    }
    assertThat(Streams.decode(transform, out.toByteArray())).isEqualTo(plain);
  }

  @Property(tries = 300)
  void anySingleBitFlipFailsAndReleasesOnlyIntactSegments(@ForAll("data") byte[] plain,
      @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int position, @ForAll @IntRange(min = 0, max = 7) int bit)
      throws IOException {
    byte[] sealed = Streams.encode(transform, plain);
    int at = position % sealed.length;
    sealed[at] ^= (byte) (1 << bit);
    Streams.Released r = Streams.decodeUntilFailure(transform, sealed);
    assertThat(r.failure()).isInstanceOf(IntegrityException.class);
    int header = AesGcmRoundTripTest.headerLength(sealed);
    int damagedSegment = at < header ? 0 : (at - header) / (SEG + 16);
    assertThat(r.bytes()).isEqualTo(Arrays.copyOf(plain, Math.min(plain.length, damagedSegment * SEG)));
  }

  @Property(tries = 300)
  void anyTruncationFailsBeforeEof(@ForAll("data") byte[] plain, @ForAll @IntRange(min = 1, max = Integer.MAX_VALUE) int cut)
      throws IOException {
    byte[] sealed = Streams.encode(transform, plain);
    int keep = sealed.length - 1 - (cut % sealed.length);
    Streams.Released r = Streams.decodeUntilFailure(transform, Arrays.copyOf(sealed, keep));
    assertThat(r.failure()).isInstanceOf(IntegrityException.class);
    assertThat(r.bytes().length).isLessThan(Math.max(1, plain.length));
  }
}
