package io.backup4j.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Unit tests of our own stream logic: CRC-64, the RDB trailer check, the payload framing and the spool. */
class RdbStreamUnitTest {
  private static final String MARK = "0123456789abcdef0123456789abcdef01234567";

  @TempDir Path tmp;

  @Test
  void crc64MatchesTheRedisCheckValue() {
    Crc64 crc = new Crc64();
    byte[] data = "123456789".getBytes(StandardCharsets.US_ASCII);
    crc.update(data, 0, data.length);
    assertThat(crc.value()).isEqualTo(0xe9c6d914c4b8d9caL);
  }

  @Test
  void crc64IsTheSameInOneCallAndByteByByte() {
    byte[] data = new byte[10_007];
    new Random(1).nextBytes(data);
    Crc64 whole = new Crc64();
    whole.update(data, 0, data.length);
    Crc64 bytes = new Crc64();
    for (int i = 0; i < data.length; i++) {
      bytes.update(data, i, 1);
    }
    assertThat(bytes.value()).isEqualTo(whole.value());
  }

  /** A syntactically minimal RDB: header, one aux-less body, EOF opcode and a correct (or zero) CRC. */
  static byte[] rdb(int version, byte[] body, boolean withCrc) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(String.format("REDIS%04d", version).getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(body);
    out.write(0xFF);
    Crc64 crc = new Crc64();
    byte[] sofar = out.toByteArray();
    crc.update(sofar, 0, sofar.length);
    long v = withCrc ? crc.value() : 0;
    for (int i = 0; i < 8; i++) {
      out.write((int) (v >>> (8 * i)) & 0xff);
    }
    return out.toByteArray();
  }

  private static RdbChecker.Result check(byte[] data, int chunk) {
    RdbChecker c = new RdbChecker();
    for (int i = 0; i < data.length; i += chunk) {
      c.update(data, i, Math.min(chunk, data.length - i));
    }
    return c.finish("test data");
  }

  @ParameterizedTest(name = "chunks of {0} bytes")
  @ValueSource(ints = {1, 3, 8, 9, 4096})
  void checkerAcceptsAnIntactRdbInAnyChunking(int chunk) {
    byte[] body = new byte[5000];
    new Random(2).nextBytes(body);
    RdbChecker.Result r = check(rdb(10, body, true), chunk);
    assertThat(r.rdbVersion()).isEqualTo(10);
    assertThat(r.crc()).isNotNull();
    assertThat(r.length()).isEqualTo(9 + 5000 + 9);
  }

  @Test
  void checkerAcceptsAZeroCrcAsChecksumDisabled() {
    assertThat(check(rdb(9, new byte[] {1, 2, 3}, false), 7).crc()).isNull();
  }

  @Test
  void checkerRejectsAFlippedByteATruncationAndAForeignFile() {
    byte[] good = rdb(9, "some body bytes".getBytes(StandardCharsets.US_ASCII), true);
    byte[] flipped = good.clone();
    flipped[12] ^= 1;
    assertThatThrownBy(() -> check(flipped, 5)).hasMessageContaining("CRC-64");
    byte[] truncated = Arrays.copyOf(good, good.length - 3);
    assertThatThrownBy(() -> check(truncated, 5)).hasMessageContaining("EOF opcode");
    assertThatThrownBy(() -> check("HELLO0009 not an rdb at all ......".getBytes(StandardCharsets.US_ASCII), 5))
        .hasMessageContaining("not an RDB file");
  }

  /** Hands out at most one byte per read: the worst case for the rolling end-mark compare. */
  private static InputStream oneByteAtATime(byte[] data) {
    return new FilterInputStream(new ByteArrayInputStream(data)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(1, len));
      }
    };
  }

  private static byte[] read(String header, InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    RedisSource.readPayload(header, in, out::write);
    return out.toByteArray();
  }

  @ParameterizedTest(name = "one byte per read: {0}")
  @ValueSource(booleans = {false, true})
  void disklessPayloadEndsExactlyAtTheMarkAndIgnoresTheReplicationStreamAfterIt(boolean slow) throws IOException {
    byte[] payload = new byte[200_000];
    new Random(3).nextBytes(payload);
    // a near-miss of the mark inside the payload must not end it
    System.arraycopy(MARK.getBytes(StandardCharsets.US_ASCII), 0, payload, 1000, 39);
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    wire.writeBytes(payload);
    wire.writeBytes(MARK.getBytes(StandardCharsets.US_ASCII));
    wire.writeBytes("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
    byte[] bytes = wire.toByteArray();
    InputStream in = slow ? oneByteAtATime(bytes) : new ByteArrayInputStream(bytes);
    assertThat(read("$EOF:" + MARK, in)).isEqualTo(payload);
  }

  @Test
  void payloadsCutShortAreAnError() {
    assertThatThrownBy(() -> read("$EOF:" + MARK, new ByteArrayInputStream(new byte[100])))
        .isInstanceOf(EOFException.class).hasMessageContaining("end mark");
    assertThatThrownBy(() -> read("$100", new ByteArrayInputStream(new byte[99])))
        .isInstanceOf(EOFException.class).hasMessageContaining("1 bytes of the payload missing");
  }

  @Test
  void lengthPayloadReadsExactlyItsLength() throws IOException {
    byte[] data = new byte[70_000];
    new Random(4).nextBytes(data);
    byte[] wire = Arrays.copyOf(data, data.length + 10);
    assertThat(read("$70000", oneByteAtATime(wire))).isEqualTo(data);
  }

  @Test
  void spoolSpillsToItsFileWhenTheConsumerLagsAndDeliversEverythingInOrder() throws Exception {
    Spool spool = new Spool(10_000, 1 << 20, () -> tmp);
    byte[] data = new byte[600_000];
    new Random(5).nextBytes(data);
    // the producer finishes before the consumer reads anything: everything past 10 kB must go to the file
    Thread producer = new Thread(() -> {
      try {
        for (int i = 0; i < data.length; i += 4096) {
          spool.write(data, i, Math.min(4096, data.length - i));
        }
        spool.finish();
      } catch (IOException e) {
        spool.fail(new IllegalStateException(e));
      }
    });
    producer.start();
    producer.join();
    assertThat(spool.maxFileBytes()).isGreaterThan(500_000);
    try (InputStream in = spool.inputStream()) {
      assertThat(in.readAllBytes()).isEqualTo(data);
    }
    assertThat(tmp).isEmptyDirectory();
  }

  @Test
  void fullSpoolMakesTheProducerWaitInsteadOfGrowingAndAFailureReachesTheConsumer() throws Exception {
    Spool spool = new Spool(1000, 5000, () -> tmp);
    byte[] data = new byte[50_000];
    new Random(6).nextBytes(data);
    Thread producer = new Thread(() -> {
      try {
        for (int i = 0; i < data.length; i += 500) {
          spool.write(data, i, 500);
        }
        spool.fail(new IllegalStateException("CRC mismatch at the end"));
      } catch (IOException e) {
        spool.fail(new IllegalStateException(e));
      }
    });
    producer.start();
    // a failure is delivered as soon as it is known, even before queued bytes: the consumer must not commit
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    try (InputStream in = spool.inputStream()) {
      byte[] buf = new byte[300];
      assertThatThrownBy(() -> {
        int n;
        while ((n = in.read(buf)) >= 0) {
          got.write(buf, 0, n);
        }
      }).hasMessageContaining("CRC mismatch");
    }
    assertThat(data).startsWith(got.toByteArray());
    assertThat(spool.maxFileBytes()).isLessThanOrEqualTo(5000);
    producer.join();
  }

  @Test
  void globMatchesLikeRedis() {
    assertThat(glob("user:*", "user:42")).isTrue();
    assertThat(glob("user:*", "users")).isFalse();
    assertThat(glob("h?llo", "hello")).isTrue();
    assertThat(glob("h[ae]llo", "hallo")).isTrue();
    assertThat(glob("h[^e]llo", "hello")).isFalse();
    assertThat(glob("h[a-c]llo", "hbllo")).isTrue();
    assertThat(glob("a\\*b", "a*b")).isTrue();
    assertThat(glob("a\\*b", "axb")).isFalse();
    assertThat(glob("*", "")).isTrue();
    assertThat(glob("**x*", "abxcd")).isTrue();
  }

  private static boolean glob(String p, String s) {
    return RedisGlob.matches(p.getBytes(StandardCharsets.UTF_8), s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void redisReleasesMapToTheRdbVersionsTheyRead() {
    assertThat(RedisVersions.maxRdbVersion("6.2.11")).isEqualTo(9);
    assertThat(RedisVersions.maxRdbVersion("7.0.15")).isEqualTo(10);
    assertThat(RedisVersions.maxRdbVersion("7.2.4")).isEqualTo(11);
    assertThat(RedisVersions.maxRdbVersion("7.4.1")).isEqualTo(12);
    assertThat(RedisVersions.maxRdbVersion("8.0.0")).isEqualTo(12);
    assertThat(RedisVersions.maxRdbVersion("4.0.14")).isEqualTo(8);
    assertThat(RedisVersions.maxRdbVersion("99.0.0")).isEqualTo(RedisVersions.NEWEST_KNOWN_RDB);
  }
}
