package io.backup4j.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.Secret;
import io.backup4j.api.Transform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PgpTransformTest {
  static final String PASS = "emergency passphrase 2026";
  static final String KEY_PASS = "key passphrase";
  static Gpg gpg;
  static Path pub;
  static Path sec;
  static String keyId;

  @TempDir static Path shared;
  @TempDir Path dir;
  final PgpTransformProvider provider = new PgpTransformProvider();

  @BeforeAll
  static void generateKey() throws Exception {
    if (!Gpg.installed()) {
      System.err.println("SKIPPING gpg interop tests: the gpg binary is not installed (Debian package gnupg)");
      return;
    }
    gpg = new Gpg(shared.resolve("gnupg"));
    // future-default = ed25519 signing key with a cv25519 encryption subkey: fast to generate, exercises ECDH
    gpg.runOk(KEY_PASS, "--passphrase-fd", "0", "--quick-gen-key", "backup4j test <test@backup4j.invalid>",
        "future-default", "default", "never");
    pub = shared.resolve("pub.asc");
    sec = shared.resolve("sec.asc");
    gpg.runOk(null, "--armor", "--output", pub.toString(), "--export", "test@backup4j.invalid");
    gpg.runOk(KEY_PASS, "--passphrase-fd", "0", "--armor", "--output", sec.toString(), "--export-secret-keys",
        "test@backup4j.invalid");
  }

  @AfterAll
  static void stopAgent() throws Exception {
    if (gpg != null) {
      gpg.close();
    }
  }

  static void requireGpg() {
    assumeTrue(gpg != null, "SKIPPED: gpg is not installed; install Debian's gnupg to run the OpenPGP interop tests");
  }

  Transform passphrase(String pw) {
    return provider.create(Map.of("passphraseEnv", "PGP_PW"), new TestContext(dir).env("PGP_PW", pw));
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 65535, 65536, 65537, 300_000})
  void passphraseRoundTrip(int size) throws IOException {
    Transform t = passphrase(PASS);
    byte[] plain = size % 2 == 0 ? Streams.random(size, size) : Streams.structured(size);
    byte[] sealed = Streams.encode(t, plain);
    assertThat(Streams.decode(t, sealed)).isEqualTo(plain);
    assertThat(t.spec().parameters()).containsEntry("mode", "passphrase").containsEntry("cipher", "AES256");
    assertThat(t.fileSuffix()).isEqualTo(".gpg");
  }

  @Test
  void oneByteAtATimeRoundTrip() throws IOException {
    Transform t = passphrase(PASS);
    byte[] plain = Streams.structured(70_000);
    assertThat(Streams.decodeByteByByte(t, Streams.encodeByteByByte(t, plain))).isEqualTo(plain);
  }

  @Test
  void wrongPassphraseIsAccessDenied() throws IOException {
    byte[] sealed = Streams.encode(passphrase(PASS), Streams.random(1000, 1));
    Streams.Released r = Streams.decodeUntilFailure(passphrase("not it"), sealed);
    assertThat(r.failure()).isInstanceOf(AccessDeniedException.class).hasMessageContaining("wrong passphrase")
        .hasMessageNotContaining("not it");
    assertThat(r.bytes()).isEmpty();
  }

  @Test
  void missingPassphraseNamesTheOptions() throws IOException {
    byte[] sealed = Streams.encode(passphrase(PASS), Streams.random(1000, 1));
    Transform none = provider.create(Map.of(), new TestContext(dir));
    assertThat(Streams.decodeUntilFailure(none, sealed).failure()).isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("passphraseEnv");
    assertThatThrownBy(() -> none.encode(java.io.OutputStream.nullOutputStream()))
        .isInstanceOf(ConfigurationException.class);
  }

  @Test
  void tamperedOrTruncatedMessagesFailBeforeEof() throws IOException {
    Transform t = passphrase(PASS);
    byte[] plain = Streams.random(200_000, 3);
    byte[] sealed = Streams.encode(t, plain);
    for (int pos : new int[] {sealed.length / 2, sealed.length - 30, sealed.length - 1}) {
      byte[] d = sealed.clone();
      d[pos] ^= 0x04;
      assertThat(Streams.decodeUntilFailure(t, d).failure()).as("flip at %d", pos)
          .isInstanceOf(IntegrityException.class);
    }
    for (int cut : new int[] {0, 5, 60, sealed.length / 2, sealed.length - 22, sealed.length - 1}) {
      assertThat(Streams.decodeUntilFailure(t, Arrays.copyOf(sealed, cut)).failure()).as("cut at %d", cut)
          .isInstanceOf(IntegrityException.class);
    }
  }

  @Test
  void truncationAtAPartialPacketBoundaryFailsBeforeEof() throws IOException {
    Transform t = passphrase(PASS);
    byte[] sealed = Streams.encode(t, Streams.random(200_000, 4));
    // Walk the packets: the SKESK (new-format header, one-octet length), then the SEIPD in partial-length chunks.
    // A cut right before or right after a chunk's length octet leaves a stream of whole packets-so-far.
    int pos = 0;
    assertThat(sealed[pos] & 0xFF).as("SKESK tag").isEqualTo(0xC3);
    pos += 2 + (sealed[pos + 1] & 0xFF);
    assertThat(sealed[pos] & 0xFF).as("SEIPD tag").isEqualTo(0xD2);
    pos++;
    java.util.List<Integer> cuts = new java.util.ArrayList<>();
    while ((sealed[pos] & 0xFF) >= 224 && (sealed[pos] & 0xFF) < 255) {
      cuts.add(pos);
      cuts.add(pos + 1);
      pos += 1 + (1 << (sealed[pos] & 0x1F));
    }
    cuts.add(pos);
    assertThat(cuts).as("the 200 KB message spans several partial packets").hasSizeGreaterThan(4);
    for (int cut : cuts) {
      assertThat(Streams.decodeUntilFailure(t, Arrays.copyOf(sealed, cut)).failure()).as("cut at %d", cut)
          .isInstanceOf(IntegrityException.class);
    }
  }

  /** An upstream that fails like a dropped storage connection after {@code failAt} bytes. */
  static final class FailingUpstream extends java.io.InputStream {
    final java.io.InputStream in;
    final int failAt;
    int read;

    FailingUpstream(byte[] data, int failAt) {
      this.in = new java.io.ByteArrayInputStream(data);
      this.failAt = failAt;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (read >= failAt) {
        throw new IOException("connection reset by storage");
      }
      int n = in.read(b, off, Math.min(len, failAt - read));
      read += Math.max(n, 0);
      return n;
    }
  }

  @ParameterizedTest(name = "storage fails after {0} bytes")
  @ValueSource(ints = {10, 150_000, -1})
  void aStorageReadFailureIsAnIoErrorNotDamage(int failAt) throws IOException {
    Transform t = passphrase(PASS);
    byte[] sealed = Streams.encode(t, Streams.random(200_000, 6));
    int at = failAt < 0 ? sealed.length : failAt; // -1: fails when asked for more after the last byte
    Throwable failure = null;
    try (java.io.InputStream in = t.decode(new FailingUpstream(sealed, at))) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    } catch (IOException | RuntimeException e) {
      failure = e;
    }
    // damage must be reported as damage, but a dropped connection is not damage: retrying later may succeed
    assertThat(failure).isInstanceOf(IOException.class).isNotInstanceOf(IntegrityException.class)
        .hasMessageContaining("connection reset by storage");
  }

  @ParameterizedTest(name = "{0} byte(s) appended")
  @ValueSource(ints = {1, 2, 7, 100})
  void appendedBytesAfterTheMessageFail(int appended) throws IOException {
    Transform t = passphrase(PASS);
    byte[] sealed = Streams.encode(t, Streams.random(10_000, 3));
    byte[] d = Arrays.copyOf(sealed, sealed.length + appended);
    assertThat(Streams.decodeUntilFailure(t, d).failure()).isInstanceOf(IntegrityException.class);
    Arrays.fill(d, sealed.length, d.length, (byte) 0xA5);
    assertThat(Streams.decodeUntilFailure(t, d).failure()).isInstanceOf(IntegrityException.class);
  }

  @Test
  void notAnOpenPgpMessageIsAnIntegrityError() {
    Transform t = passphrase(PASS);
    assertThat(Streams.decodeUntilFailure(t, Streams.random(5000, 9)).failure())
        .isInstanceOf(IntegrityException.class);
  }

  @Test
  void unknownOrInlineOptionsAreRefused() {
    assertThatThrownBy(() -> provider.create(Map.of("passphrase", "x"), new TestContext(dir)))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("passphraseEnv");
    assertThatThrownBy(() -> provider.create(Map.of("pubKey", "x"), new TestContext(dir)))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("unknown option");
  }

  @Test
  void gpgDecryptsOurPassphraseMessage() throws Exception {
    requireGpg();
    byte[] plain = Streams.structured(300_000);
    Path enc = dir.resolve("part.gpg");
    Files.write(enc, Streams.encode(passphrase(PASS), plain));
    Path out = dir.resolve("out");
    gpg.runOk(PASS, "--passphrase-fd", "0", "--output", out.toString(), "--decrypt", enc.toString());
    assertThat(Files.readAllBytes(out)).isEqualTo(plain);
  }

  @Test
  void weDecryptGpgSymmetricMessages() throws Exception {
    requireGpg();
    byte[] plain = Streams.random(250_000, 4);
    Path in = dir.resolve("in");
    Files.write(in, plain);
    for (String armor : new String[] {"--no-armor", "--armor"}) {
      Path enc = dir.resolve("gpg" + armor + ".gpg");
      gpg.runOk(PASS, "--passphrase-fd", "0", armor, "--symmetric", "--cipher-algo", "AES256", "--output",
          enc.toString(), in.toString());
      assertThat(Streams.decode(passphrase(PASS), Files.readAllBytes(enc))).as(armor).isEqualTo(plain);
    }
  }

  @Test
  void gpgDecryptsMessagesEncryptedToItsPublicKey() throws Exception {
    requireGpg();
    Transform t = provider.create(Map.of("publicKey", pub.toString()), new TestContext(dir));
    assertThat(t.spec().parameters()).containsEntry("mode", "publicKey").containsKey("recipientKeyId");
    byte[] plain = Streams.structured(180_000);
    Path enc = dir.resolve("pk.gpg");
    Files.write(enc, Streams.encode(t, plain));
    Path out = dir.resolve("out");
    gpg.runOk(KEY_PASS, "--passphrase-fd", "0", "--output", out.toString(), "--decrypt", enc.toString());
    assertThat(Files.readAllBytes(out)).isEqualTo(plain);
  }

  @Test
  void weDecryptGpgPublicKeyMessagesWithTheExportedSecretKey() throws Exception {
    requireGpg();
    byte[] plain = Streams.random(222_222, 6);
    Path in = dir.resolve("in");
    Files.write(in, plain);
    Path enc = dir.resolve("to-key.gpg");
    gpg.runOk(null, "--trust-model", "always", "--recipient", "test@backup4j.invalid", "--output", enc.toString(),
        "--encrypt", in.toString());
    byte[] sealed = Files.readAllBytes(enc);
    TestContext ctx = new TestContext(dir).secret("pgp.passphrase", Secret.of(KEY_PASS));
    Transform restore = provider.create(Map.of("secretKey", sec.toString(), "mode", "publicKey"), ctx);
    assertThat(Streams.decode(restore, sealed)).isEqualTo(plain);
    // and our own public-key output through the same path
    Transform ours = provider.create(Map.of("publicKey", pub.toString()), new TestContext(dir));
    assertThat(Streams.decode(restore, Streams.encode(ours, plain))).isEqualTo(plain);

    Transform wrongPass = provider.create(Map.of("secretKey", sec.toString(), "passphraseEnv", "P"),
        new TestContext(dir).env("P", "wrong"));
    assertThat(Streams.decodeUntilFailure(wrongPass, sealed).failure()).isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("wrong passphrase");
    Transform noKey = provider.create(Map.of(), new TestContext(dir));
    assertThat(Streams.decodeUntilFailure(noKey, sealed).failure()).isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("backup was encrypted to key id").hasMessageContaining("secretKey");
  }

  @Test
  void tamperedGpgMessageFails() throws Exception {
    requireGpg();
    byte[] plain = Streams.random(100_000, 7);
    Path in = dir.resolve("in");
    Files.write(in, plain);
    Path enc = dir.resolve("t.gpg");
    gpg.runOk(PASS, "--passphrase-fd", "0", "--symmetric", "--cipher-algo", "AES256", "--compress-algo", "none",
        "--output", enc.toString(), in.toString());
    byte[] d = Files.readAllBytes(enc);
    d[d.length / 2] ^= 0x01;
    assertThat(Streams.decodeUntilFailure(passphrase(PASS), d).failure()).isInstanceOf(IntegrityException.class);
    // and gpg itself refuses our tampered output
    byte[] ours = Streams.encode(passphrase(PASS), plain);
    ours[ours.length / 2] ^= 0x01;
    Path bad = dir.resolve("bad.gpg");
    Files.write(bad, ours);
    assertThat(gpg.run(PASS, "--passphrase-fd", "0", "--output", dir.resolve("bad.out").toString(), "--decrypt",
        bad.toString()).exit()).isNotZero();
  }
}
