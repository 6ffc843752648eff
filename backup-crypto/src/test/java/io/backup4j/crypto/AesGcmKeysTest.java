package io.backup4j.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.BackupException;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.Redaction;
import io.backup4j.api.Secret;
import io.backup4j.api.Transform;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AesGcmKeysTest {
  static final byte[] KEY_A = Streams.random(32, 1001);
  static final byte[] KEY_B = Streams.random(32, 1002);
  static final byte[] KEY_C = Streams.random(32, 1003);
  /** Small Argon2id parameters keep the tests fast; the defaults are RFC 9106's 64 MiB, t=3, p=4. */
  static final Map<String, String> FAST_ARGON = Map.of("argon2MemoryKiB", "1024", "argon2Iterations", "1",
      "argon2Parallelism", "1");

  @TempDir Path dir;
  final List<String> texts = new ArrayList<>();
  final AesGcmTransformProvider provider = new AesGcmTransformProvider();

  Transform create(Map<String, String> options, TestContext ctx) {
    try {
      Transform t = provider.create(options, ctx);
      texts.add(t.toString());
      texts.add(t.spec().toString());
      return t;
    } catch (BackupException e) {
      texts.add(e.toString());
      throw e;
    }
  }

  TestContext ctx() {
    return new TestContext(dir);
  }

  byte[] roundTrip(Transform enc, Transform dec, byte[] plain) throws IOException {
    return Streams.decode(dec, Streams.encode(enc, plain));
  }

  Throwable decodeFailure(Transform enc, Transform dec) throws IOException {
    Streams.Released r = Streams.decodeUntilFailure(dec, Streams.encode(enc, Streams.random(10_000, 5)));
    assertThat(r.bytes()).as("no plaintext before a key error").isEmpty();
    texts.add(r.failure().toString());
    return r.failure();
  }

  Path keyFile(String name, byte[] content) throws IOException {
    return Streams.privateFile(dir, name, content);
  }

  @Test
  void keyFileMayHoldRawHexOrBase64() throws IOException {
    byte[] plain = Streams.structured(9000);
    Transform raw = create(Map.of("keyFile", keyFile("raw.key", KEY_A).toString()), ctx());
    Transform hex = create(Map.of("keyFile", keyFile("hex.key",
        (HexFormat.of().formatHex(KEY_A) + "\n").getBytes(StandardCharsets.US_ASCII)).toString()), ctx());
    Transform b64 = create(Map.of("keyFile", keyFile("b64.key",
        (" " + Base64.getEncoder().encodeToString(KEY_A) + "\r\n").getBytes(StandardCharsets.US_ASCII)).toString()), ctx());
    assertThat(roundTrip(raw, hex, plain)).isEqualTo(plain);
    assertThat(roundTrip(hex, b64, plain)).isEqualTo(plain);
    assertThat(raw.spec().parameters().get("keyId")).isEqualTo(MasterKey.fingerprint(KEY_A))
        .isEqualTo(b64.spec().parameters().get("keyId")).hasSize(16);
  }

  @Test
  void keyFileWithWrongLengthIsRefusedWithoutShowingItsContent() throws IOException {
    Path p = keyFile("short.key", "deadbeefcafebabe".getBytes(StandardCharsets.US_ASCII));
    assertThatThrownBy(() -> create(Map.of("keyFile", p.toString()), ctx()))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("does not hold a 256-bit key")
        .hasMessageNotContaining("deadbeef");
  }

  @Test
  void keyFileReadableByOthersIsRefusedUnlessAllowed() throws IOException {
    Path p = keyFile("loose.key", KEY_A);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
    assertThatThrownBy(() -> create(Map.of("keyFile", p.toString()), ctx()))
        .isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("chmod 600").hasMessageContaining("allowInsecureKeyFile=true");
    Transform t = create(Map.of("keyFile", p.toString(), "allowInsecureKeyFile", "true"), ctx());
    assertThat(roundTrip(t, t, new byte[] {1, 2, 3})).containsExactly(1, 2, 3);
  }

  @Test
  void missingKeyFileIsNotFound() {
    assertThatThrownBy(() -> create(Map.of("keyFile", dir.resolve("nope.key").toString()), ctx()))
        .isInstanceOf(NotFoundException.class).hasMessageContaining("nope.key");
  }

  @Test
  void keyFromEnvironmentSecretAndKeyStoreInteroperate() throws Exception {
    Path ks = dir.resolve("keys.p12");
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    char[] pw = "store-pw".toCharArray();
    store.setEntry("backup", new KeyStore.SecretKeyEntry(new SecretKeySpec(KEY_A, "AES")),
        new KeyStore.PasswordProtection(pw));
    try (OutputStream out = Files.newOutputStream(ks)) {
      store.store(out, pw);
    }
    Files.setPosixFilePermissions(ks, PosixFilePermissions.fromString("rw-------"));
    TestContext c = ctx().env("B4J_KEY", Base64.getEncoder().encodeToString(KEY_A)).env("KS_PW", "store-pw")
        .secret("aes-gcm.key", Secret.ofBytes(KEY_A));
    Transform env = create(Map.of("keyEnv", "B4J_KEY"), c);
    Transform keyStore = create(Map.of("keyStore", ks.toString(), "keyAlias", "backup", "keyStorePasswordEnv", "KS_PW"), c);
    Transform secret = create(Map.of(), c);
    byte[] plain = Streams.random(5000, 8);
    assertThat(roundTrip(env, keyStore, plain)).isEqualTo(plain);
    assertThat(roundTrip(keyStore, secret, plain)).isEqualTo(plain);
    TestContext wrong = ctx().env("KS_PW", "nope");
    assertThatThrownBy(() -> create(Map.of("keyStore", ks.toString(), "keyAlias", "backup", "keyStorePasswordEnv",
        "KS_PW"), wrong)).isInstanceOf(AccessDeniedException.class).hasMessageContaining("password");
    assertThatThrownBy(() -> create(Map.of("keyStore", ks.toString(), "keyAlias", "other", "keyStorePasswordEnv",
        "KS_PW"), c)).isInstanceOf(NotFoundException.class).hasMessageContaining("backup");
  }

  @Test
  void environmentKeyMustBeHexOrBase64NotA32CharacterPassword() {
    assertThatThrownBy(() -> create(Map.of("keyEnv", "K"), ctx().env("K", "0123456789abcdefghijklmnopqrstuv")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("64 hex digits")
        .hasMessageNotContaining("raw").hasMessageNotContaining("0123456789abcdef");
  }

  @Test
  void unsetEnvironmentVariableIsAConfigurationError() {
    assertThatThrownBy(() -> create(Map.of("keyEnv", "NOT_SET_ANYWHERE"), ctx()))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("NOT_SET_ANYWHERE");
  }

  @Test
  void passphraseIsStretchedWithRecordedArgon2Parameters() throws IOException {
    Map<String, String> o = new HashMap<>(FAST_ARGON);
    o.put("passphraseEnv", "PW");
    Transform enc = create(o, ctx().env("PW", "correct horse battery staple"));
    assertThat(enc.spec().parameters()).containsEntry("kdf", "argon2id").containsEntry("argon2MemoryKiB", "1024")
        .containsEntry("argon2Iterations", "1").containsEntry("argon2Parallelism", "1")
        .containsEntry("keyId", "passphrase");
    // restore needs only the passphrase: the parameters come from the header
    Transform dec = create(Map.of(), ctx().secret("aes-gcm.passphrase", Secret.of("correct horse battery staple")));
    byte[] plain = Streams.structured(20_000);
    assertThat(roundTrip(enc, dec, plain)).isEqualTo(plain);
  }

  @Test
  void wrongPassphraseIsAccessDeniedBeforeAnyPlaintext() throws IOException {
    Map<String, String> o = new HashMap<>(FAST_ARGON);
    o.put("passphraseEnv", "PW");
    Transform enc = create(o, ctx().env("PW", "correct horse battery staple"));
    Transform dec = create(Map.of("passphraseEnv", "PW"), ctx().env("PW", "Tr0ub4dor&3"));
    assertThat(decodeFailure(enc, dec)).isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("wrong passphrase").hasMessageContaining("passphrase key id passphrase");
    Transform keyOnly = create(Map.of("keyFile", keyFile("a.key", KEY_A).toString()), ctx());
    assertThat(decodeFailure(enc, keyOnly)).isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("encrypted with a passphrase").hasMessageContaining("passphraseEnv");
  }

  @Test
  void wrongKeyFailsFastNamingBothKeyIds() throws IOException {
    Transform enc = create(Map.of("keyFile", keyFile("a.key", KEY_A).toString()), ctx());
    Transform dec = create(Map.of("keyFile", keyFile("b.key", KEY_B).toString()), ctx());
    String idA = MasterKey.fingerprint(KEY_A);
    String idB = MasterKey.fingerprint(KEY_B);
    assertThat(decodeFailure(enc, dec)).isInstanceOf(AccessDeniedException.class)
        .hasMessageStartingWith("backup was encrypted with key id " + idA + "; the keyring holds " + idB);
  }

  @Test
  void wrongKeyFileUnderTheRecordedKeyIdIsStillRefused() throws IOException {
    // At restore the manifest's keyId is merged with the user's keyFile: a wrong file then claims the right id.
    Transform enc = create(Map.of("keyFile", keyFile("a.key", KEY_A).toString(), "keyId", "prod-2026"), ctx());
    Transform dec = create(Map.of("keyFile", keyFile("b.key", KEY_B).toString(), "keyId", "prod-2026"), ctx());
    assertThat(decodeFailure(enc, dec)).isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("backup was encrypted with key id prod-2026")
        .hasMessageContaining("wrong key file");
  }

  @Test
  void keyringKeepsOldBackupsReadableAfterRotation() throws IOException {
    Path ring = Files.createDirectory(dir.resolve("ring"));
    Streams.privateFile(ring, "2025.key", KEY_A);
    Streams.privateFile(ring, "2026.key", KEY_B);
    byte[] plain = Streams.random(12_345, 77);
    Transform old = create(Map.of("keyring", ring.toString(), "keyId", "2025"), ctx());
    Transform current = create(Map.of("keyring", ring.toString(), "keyId", "2026"), ctx());
    assertThat(old.spec().parameters()).containsEntry("keyId", "2025");
    byte[] oldBackup = Streams.encode(old, plain);
    byte[] newBackup = Streams.encode(current, plain);
    Transform restore = create(Map.of("keyring", ring.toString()), ctx());
    assertThat(Streams.decode(restore, oldBackup)).isEqualTo(plain);
    assertThat(Streams.decode(restore, newBackup)).isEqualTo(plain);
    // keyring entries given as files, separated like PATH
    Transform files = create(Map.of("keyring", ring.resolve("2026.key") + java.io.File.pathSeparator
        + ring.resolve("2025.key")), ctx());
    assertThat(Streams.decode(files, oldBackup)).isEqualTo(plain);
  }

  @Test
  void encryptingWithAKeyIdMissingFromTheKeyringNamesBoth() throws IOException {
    Path ring = Files.createDirectory(dir.resolve("ring"));
    Streams.privateFile(ring, "2026.key", KEY_B);
    Transform t = create(Map.of("keyring", ring.toString(), "keyId", "2027"), ctx());
    assertThatThrownBy(() -> t.encode(OutputStream.nullOutputStream())).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("keyId 2027").hasMessageContaining("2026");
  }

  @Test
  void missingKeyringEntryNamesTheWantedAndTheHeldKeyIds() throws IOException {
    Path ring = Files.createDirectory(dir.resolve("ring"));
    Streams.privateFile(ring, "2026.key", KEY_B);
    Streams.privateFile(ring, "2027.key", KEY_C);
    Transform enc = create(Map.of("keyFile", keyFile("a.key", KEY_A).toString(), "keyId", "2025"), ctx());
    Transform dec = create(Map.of("keyring", ring.toString()), ctx());
    Throwable e = decodeFailure(enc, dec);
    assertThat(e).isInstanceOf(AccessDeniedException.class)
        .hasMessageStartingWith("backup was encrypted with key id 2025; the keyring holds 2026")
        .hasMessageContaining("2027");
  }

  @Test
  void renamedKeyFileIsStillFoundByItsMaterial() throws IOException {
    Transform enc = create(Map.of("keyFile", keyFile("a.key", KEY_A).toString(), "keyId", "old-name"), ctx());
    Path ring = Files.createDirectory(dir.resolve("ring"));
    Streams.privateFile(ring, "new-name.key", KEY_A);
    byte[] plain = Streams.random(100, 1);
    assertThat(roundTrip(enc, create(Map.of("keyring", ring.toString()), ctx()), plain)).isEqualTo(plain);
  }

  @Test
  void noKeyAtAllIsAClearErrorOnEncodeAndDecode() throws IOException {
    Transform none = create(Map.of(), ctx());
    assertThatThrownBy(() -> none.encode(OutputStream.nullOutputStream()))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("no encryption key");
    Transform enc = create(Map.of("keyFile", keyFile("a.key", KEY_A).toString()), ctx());
    assertThat(decodeFailure(enc, none)).isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("no key was supplied");
  }

  @Test
  void twoExplicitEncryptionKeysAreAmbiguous() throws IOException {
    Transform t = create(Map.of("keyFile", keyFile("a.key", KEY_A).toString(), "keyEnv", "K"),
        ctx().env("K", HexFormat.of().formatHex(KEY_B)));
    assertThatThrownBy(() -> t.encode(OutputStream.nullOutputStream()))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("several encryption keys");
  }

  @Test
  void inlineKeyOptionsAndUnknownOptionsAreRefused() {
    assertThatThrownBy(() -> create(Map.of("key", HexFormat.of().formatHex(KEY_A)), ctx()))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("keyFile");
    assertThatThrownBy(() -> create(Map.of("passphrase", "hunter2"), ctx()))
        .isInstanceOf(ConfigurationException.class).hasMessageNotContaining("hunter2");
    assertThatThrownBy(() -> create(Map.of("keyFiel", "/x"), ctx()))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("unknown option 'keyFiel'");
    assertThatThrownBy(() -> create(Map.of("keyEnv", "K", "segmentSize", "100"), ctx().env("K",
        HexFormat.of().formatHex(KEY_A)))).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("segmentSize");
    assertThat(provider.sensitiveOptions()).contains("key", "passphrase");
    assertThat(provider.sensitiveOptions()).allMatch(Redaction::isSensitiveName);
  }

  @Test
  void recordedParametersAreAcceptedAtRestoreAndHoldNoSecret() throws IOException {
    Transform enc = create(Map.of("keyFile", keyFile("a.key", KEY_A).toString()), ctx());
    Map<String, String> restore = new HashMap<>(enc.spec().parameters());
    restore.put("keyFile", dir.resolve("a.key").toString());
    byte[] plain = Streams.random(3000, 2);
    assertThat(roundTrip(enc, create(restore, ctx()), plain)).isEqualTo(plain);
    assertThat(enc.spec().parameters().keySet()).noneMatch(Redaction::isSensitiveName)
        .containsExactlyInAnyOrder("keyId", "segmentSize", "kdf", "formatVersion");
  }

  @Test
  void noTextEverContainsKeyMaterialOrPassphrase() throws IOException {
    // Drive the interesting paths, collecting every toString and exception text, then search them.
    keyFileMayHoldRawHexOrBase64();
    wrongKeyFailsFastNamingBothKeyIds();
    wrongKeyFileUnderTheRecordedKeyIdIsStillRefused();
    wrongPassphraseIsAccessDeniedBeforeAnyPlaintext();
    missingKeyringEntryNamesTheWantedAndTheHeldKeyIds();
    texts.add(Secret.ofBytes(KEY_A).toString());
    texts.add(new MasterKey(KEY_A, "x", "test").toString());
    texts.add(StreamKeys.derive(KEY_A, new byte[32]).toString());
    List<String> forbidden = new ArrayList<>();
    for (byte[] k : List.of(KEY_A, KEY_B, KEY_C)) {
      String hex = HexFormat.of().formatHex(k);
      forbidden.add(hex.substring(0, 12));
      forbidden.add(hex.substring(0, 12).toUpperCase(Locale.ROOT));
      forbidden.add(Base64.getEncoder().encodeToString(k).substring(0, 12));
      forbidden.add(new String(k, StandardCharsets.ISO_8859_1).substring(0, 8));
    }
    forbidden.add("horse battery");
    forbidden.add("Tr0ub4dor");
    assertThat(texts).hasSizeGreaterThan(15);
    for (String text : texts) {
      for (String f : forbidden) {
        assertThat(text).doesNotContain(f);
      }
    }
  }
}
