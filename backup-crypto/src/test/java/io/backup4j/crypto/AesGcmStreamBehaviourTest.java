package io.backup4j.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.Transform;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AesGcmStreamBehaviourTest {
  @TempDir Path dir;

  Transform withKey(byte[] key) {
    return new AesGcmTransformProvider().create(Map.of("keyEnv", "K", "segmentSize", "4096"),
        new TestContext(dir).env("K", HexFormat.of().formatHex(key)));
  }

  /** Counts what the decoder pulled from storage. */
  static final class CountingInput extends FilterInputStream {
    long count;

    CountingInput(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      count += b < 0 ? 0 : 1;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      count += Math.max(n, 0);
      return n;
    }
  }

  @Test
  void wrongKeyFailsAfterReadingOnlyTheHeader() throws IOException {
    byte[] sealed = Streams.encode(withKey(AesGcmKeysTest.KEY_A), Streams.random(50_000, 1));
    CountingInput counting = new CountingInput(new ByteArrayInputStream(sealed));
    InputStream in = withKey(AesGcmKeysTest.KEY_B).decode(counting);
    assertThatThrownBy(in::read).isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining(MasterKey.fingerprint(AesGcmKeysTest.KEY_A));
    assertThat(counting.count).isEqualTo(AesGcmRoundTripTest.headerLength(sealed));
  }

  @Test
  void failedDownstreamWriteLeavesNoFinalSegment() throws IOException {
    ByteArrayOutputStream kept = new ByteArrayOutputStream();
    OutputStream flaky = new OutputStream() {
      int writes;

      @Override
      public void write(int b) {
        kept.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (++writes == 3) {
          throw new IOException("disk full");
        }
        kept.write(b, off, len);
      }
    };
    Transform t = withKey(AesGcmKeysTest.KEY_A);
    OutputStream enc = t.encode(flaky);
    assertThatThrownBy(() -> enc.write(new byte[5 * 4096])).hasMessageContaining("disk full");
    assertThatThrownBy(() -> enc.write(1)).isInstanceOf(IOException.class).hasMessageContaining("failed earlier");
    enc.close();
    // header + one segment made it out; without a last-flagged segment it can never decode as complete
    assertThat(Streams.decodeUntilFailure(t, kept.toByteArray()).failure()).isInstanceOf(IntegrityException.class);
  }

  @Test
  void writeAfterCloseFails() throws IOException {
    OutputStream enc = withKey(AesGcmKeysTest.KEY_A).encode(OutputStream.nullOutputStream());
    enc.close();
    assertThatThrownBy(() -> enc.write(1)).isInstanceOf(IOException.class);
  }

  @Test
  void closingTheDecoderClosesUpstreamOnce() throws IOException {
    byte[] sealed = Streams.encode(withKey(AesGcmKeysTest.KEY_A), new byte[10]);
    int[] closes = {0};
    InputStream up = new ByteArrayInputStream(sealed) {
      @Override
      public void close() {
        closes[0]++;
      }
    };
    InputStream in = withKey(AesGcmKeysTest.KEY_A).decode(up);
    assertThat(in.readAllBytes()).hasSize(10);
    in.close();
    in.close();
    assertThat(closes[0]).isEqualTo(1);
  }

  @Test
  void notAnAesGcmStreamIsNamedAsSuch() {
    Streams.Released r = Streams.decodeUntilFailure(withKey(AesGcmKeysTest.KEY_A),
        "PGDMP custom dump, not encrypted".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    assertThat(r.failure()).isInstanceOf(IntegrityException.class).hasMessageContaining("not an aes-gcm stream");
  }
}
