package io.backup4j.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.IntegrityException;
import io.backup4j.api.Transform;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/** Format details the command-line tools accept, or refuse, that our own decoders must treat the same way. */
class DecoderDetailsTest {
  private final Transform gzip = TestSupport.transform("gzip");
  private final Transform zstd = TestSupport.transform("zstd");

  @Test
  void gzipMemberWithEveryOptionalHeaderFieldDecodes() throws Exception {
    byte[] data = TestSupport.structured(50_000, 1);

    byte[] member = gzipMember(data, true, true, true, true, 0);

    assertThat(TestSupport.decode(gzip, member, TestSupport.Shape.ONE_BYTE, 1)).isEqualTo(data);
  }

  @Test
  void gzipHeaderChecksumMismatchIsAnIntegrityError() throws Exception {
    byte[] member = gzipMember(new byte[10], true, true, false, true, 0);
    int hcrcPos = indexOfHeaderCrc(member);
    member[hcrcPos] ^= 1;

    assertThatThrownBy(() -> TestSupport.decode(gzip, member))
        .hasCauseInstanceOf(IntegrityException.class).hasMessageContaining("header checksum");
  }

  @Test
  void gzipReservedFlagBitsAreRefused() throws Exception {
    byte[] member = gzipMember(new byte[10], false, false, false, false, 0x20);

    assertThatThrownBy(() -> TestSupport.decode(gzip, member))
        .hasCauseInstanceOf(IntegrityException.class).hasMessageContaining("reserved");
  }

  @Test
  void gzipCrcAndLengthMismatchesAreIntegrityErrors() throws Exception {
    byte[] data = TestSupport.structured(5_000, 2);
    byte[] badCrc = TestSupport.encode(gzip, data);
    badCrc[badCrc.length - 8] ^= 1;
    byte[] badLength = TestSupport.encode(gzip, data);
    badLength[badLength.length - 1] ^= 1;

    assertThatThrownBy(() -> TestSupport.decode(gzip, badCrc))
        .hasCauseInstanceOf(IntegrityException.class).hasMessageContaining("CRC-32");
    assertThatThrownBy(() -> TestSupport.decode(gzip, badLength))
        .hasCauseInstanceOf(IntegrityException.class).hasMessageContaining("length");
  }

  @Test
  void zstdSkippableFramesAreSkippedAsTheZstdToolDoes() throws Exception {
    byte[] data = TestSupport.structured(20_000, 3);
    byte[] skippable = {0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 'a', 'b', 'c'};

    byte[] stream = DamagedStreamTest.concat(DamagedStreamTest.concat(skippable, TestSupport.encode(zstd, data)),
        skippable);

    assertThat(TestSupport.decode(zstd, stream, TestSupport.Shape.RANDOM_CHUNKS, 4)).isEqualTo(data);
  }

  @Test
  void aTruncatedZstdSkippableFrameAtTheEndIsAnError() throws Exception {
    byte[] data = TestSupport.structured(2_000, 5);
    byte[] cut = {0x50, 0x2A, 0x4D, 0x18, 9, 0, 0, 0, 'a'};

    assertThatThrownBy(() -> TestSupport.decode(zstd, DamagedStreamTest.concat(TestSupport.encode(zstd, data), cut)))
        .hasCauseInstanceOf(IntegrityException.class);
  }

  /** A gzip member built by hand, with the optional header fields gzip(1) rarely writes. */
  private static byte[] gzipMember(byte[] data, boolean extra, boolean name, boolean comment, boolean hcrc,
      int reservedBits) throws IOException {
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    int flg = (hcrc ? 2 : 0) | (extra ? 4 : 0) | (name ? 8 : 0) | (comment ? 16 : 0) | reservedBits;
    header.write(new byte[] {0x1f, (byte) 0x8b, 8, (byte) flg, 1, 2, 3, 4, 0, 3});
    if (extra) {
      header.write(new byte[] {6, 0, 'A', 'B', 2, 0, 'x', 'y'});
    }
    if (name) {
      header.write("rows.tsv\0".getBytes(StandardCharsets.ISO_8859_1));
    }
    if (comment) {
      header.write("made by hand\0".getBytes(StandardCharsets.ISO_8859_1));
    }
    if (hcrc) {
      CRC32 c = new CRC32();
      c.update(header.toByteArray());
      int v = (int) c.getValue();
      header.write(v & 0xFF);
      header.write((v >>> 8) & 0xFF);
    }
    Deflater deflater = new Deflater(6, true);
    deflater.setInput(data);
    deflater.finish();
    byte[] buf = new byte[8192];
    while (!deflater.finished()) {
      int n = deflater.deflate(buf);
      header.write(buf, 0, n);
    }
    deflater.end();
    CRC32 crc = new CRC32();
    crc.update(data);
    writeIntLe(header, (int) crc.getValue());
    writeIntLe(header, data.length);
    return header.toByteArray();
  }

  private static int indexOfHeaderCrc(byte[] member) {
    // FEXTRA (8 bytes) + FNAME "rows.tsv\0" after the 10-byte fixed header; the CRC16 follows.
    return 10 + 8 + 9;
  }

  private static void writeIntLe(ByteArrayOutputStream out, int v) {
    for (int i = 0; i < 4; i++) {
      out.write((v >>> (8 * i)) & 0xFF);
    }
  }

  @Test
  void zstdFillsALargeReadFromTheInputItAlreadyHasInsteadOfOneOutputBufferPerCall() throws Exception {
    byte[] data = TestSupport.structured(4 << 20, 7);
    byte[] encoded = TestSupport.encode(zstd, data);
    byte[] buf = new byte[2 << 20];

    try (java.io.InputStream in = zstd.decode(new java.io.ByteArrayInputStream(encoded))) {
      int n = in.read(buf, 0, buf.length);

      // one 128 KiB input buffer of 2-3x compressible rows holds more than the decoder's 128 KiB output buffer
      assertThat(n).isGreaterThan(128 * 1024);
      assertThat(java.util.Arrays.copyOf(buf, n)).isEqualTo(java.util.Arrays.copyOf(data, n));
    }
  }

  @Test
  void zstdReturnsTheBytesItHasWithoutWaitingForMoreInput() throws Exception {
    byte[] data = TestSupport.structured(1 << 20, 8);
    byte[] encoded = TestSupport.encode(zstd, data);
    int first = encoded.length / 3;
    // a pipe that has delivered the first third of the stream and has nothing more yet
    java.io.InputStream upstream = new java.io.InputStream() {
      private int served;

      @Override
      public int read() {
        throw new AssertionError("single-byte read");
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (served > 0) {
          throw new AssertionError("the decoder waited for more input while it had decoded bytes to return");
        }
        int n = Math.min(len, first);
        System.arraycopy(encoded, 0, b, off, n);
        served = n;
        return n;
      }
    };

    try (java.io.InputStream in = zstd.decode(upstream)) {
      byte[] buf = new byte[4 << 20];
      int n = in.read(buf, 0, buf.length);

      assertThat(n).isPositive();
      assertThat(java.util.Arrays.copyOf(buf, n)).isEqualTo(java.util.Arrays.copyOf(data, n));
    }
  }
}
