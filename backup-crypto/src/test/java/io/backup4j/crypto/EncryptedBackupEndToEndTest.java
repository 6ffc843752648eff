package io.backup4j.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.Manifest;
import io.backup4j.api.PartInfo;
import io.backup4j.api.TransformSpec;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.core.RestoreJob;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real backups of a real directory tree into a real file repository, encrypted, restored byte-identical. */
class EncryptedBackupEndToEndTest {
  static final String MARKER = "PLAINTEXT-MARKER-7f3a9c";

  @TempDir Path dir;
  Path source;
  Path repo;
  Path keyA;
  Path keyB;

  @BeforeEach
  void tree() throws IOException {
    source = Files.createDirectories(dir.resolve("src"));
    Files.createDirectories(source.resolve("a/b"));
    Files.write(source.resolve("empty.bin"), new byte[0]);
    Files.write(source.resolve("one.bin"), new byte[] {42});
    Files.write(source.resolve("a/random.bin"), Streams.random(3 * 65536 + 17, 11));
    Files.writeString(source.resolve("a/b/table.csv"), (MARKER + "\n").repeat(20_000), StandardCharsets.US_ASCII);
    Files.write(source.resolve("a/b/segment.bin"), Streams.random(65536, 12));
    repo = dir.resolve("repo");
    keyA = Streams.privateFile(dir, "a.key", AesGcmKeysTest.KEY_A);
    keyB = Streams.privateFile(dir, "b.key", AesGcmKeysTest.KEY_B);
  }

  Backups backups() {
    return Backups.builder().repository(repo.toUri().toString()).build();
  }

  static Map<String, String> contents(Path root) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.toList()) {
        String rel = root.relativize(p).toString();
        out.put(rel, Files.isDirectory(p) ? "<dir>" : HexFormat.of().formatHex(
            java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
      }
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  void assertRepositoryHoldsNoPlaintext() throws IOException {
    byte[] marker = MARKER.getBytes(StandardCharsets.US_ASCII);
    try (Stream<Path> s = Files.walk(repo)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        String text = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
        assertThat(text).as("stored object %s", p).doesNotContain(new String(marker, StandardCharsets.ISO_8859_1));
        for (byte[] k : List.of(AesGcmKeysTest.KEY_A, AesGcmKeysTest.KEY_B)) {
          assertThat(text).doesNotContain(HexFormat.of().formatHex(k)).doesNotContain(new String(k, StandardCharsets.ISO_8859_1));
        }
      }
    }
  }

  @Test
  void aesGcmBackupRestoresByteIdenticalAndWrongKeyFailsWithKeyIds() throws IOException {
    try (Backups backups = backups()) {
      Manifest m = backups.backup(BackupJob.builder().source("files:" + source)
          .transform("aes-gcm", Map.of("keyFile", keyA.toString())).build());
      TransformSpec spec = m.transforms().get(m.transforms().size() - 1);
      String idA = MasterKey.fingerprint(AesGcmKeysTest.KEY_A);
      assertThat(spec.name()).isEqualTo("aes-gcm");
      assertThat(spec.parameters()).containsEntry("keyId", idA).doesNotContainKey("keyFile");
      assertThat(m.parts()).allMatch(p -> p.key().endsWith(".aesgcm"));
      assertRepositoryHoldsNoPlaintext();

      backups.verify(m.id(), Map.of("aes-gcm", Map.of("keyFile", keyA.toString())));
      Path restored = dir.resolve("restored");
      backups.restore(m.id(), RestoreJob.builder(restored.toString())
          .transformOption("aes-gcm", "keyFile", keyA.toString()).build());
      assertThat(contents(restored)).isEqualTo(contents(source));

      Path wrong = dir.resolve("wrong");
      assertThatThrownBy(() -> backups.restore(m.id(), RestoreJob.builder(wrong.toString())
          .transformOption("aes-gcm", "keyFile", keyB.toString()).build()))
          .isInstanceOf(AccessDeniedException.class)
          .hasMessageContaining("backup was encrypted with key id " + idA + "; the keyring holds")
          .hasMessageContaining(MasterKey.fingerprint(AesGcmKeysTest.KEY_B));
      assertThat(!Files.exists(wrong) || contents(wrong).size() <= 1).as("nothing restored with a wrong key").isTrue();
      assertThatThrownBy(() -> backups.verify(m.id(), Map.of("aes-gcm", Map.of("keyFile", keyB.toString()))))
          .isInstanceOf(AccessDeniedException.class);
    }
  }

  @Test
  void compressThenEncryptChainRestoresByteIdentical() throws IOException {
    try (Backups backups = Backups.builder().repository(repo.toUri().toString())
        .secret("aes-gcm.key", io.backup4j.api.Secret.ofBytes(AesGcmKeysTest.KEY_A)).build()) {
      Manifest m = backups.backup(BackupJob.builder().source("files:" + source).transform("test-gzip")
          .transform("aes-gcm", Map.of()).build());
      assertThat(m.transforms()).extracting(TransformSpec::name).containsExactly("test-gzip", "aes-gcm");
      assertThat(m.parts()).allMatch(p -> p.key().endsWith(".gz.aesgcm"));
      assertThat(m.storedSize()).isLessThan(m.rawSize()); // the CSV compresses; ciphertext would not
      Path restored = dir.resolve("restored");
      backups.restore(m.id(), RestoreJob.builder(restored.toString()).build()); // key from the application secret
      assertThat(contents(restored)).isEqualTo(contents(source));
    }
  }

  @Test
  void tamperedStoredPartIsNeverRestored() throws IOException {
    try (Backups backups = backups()) {
      Manifest m = backups.backup(BackupJob.builder().source("files:" + source)
          .transform("aes-gcm", Map.of("keyFile", keyA.toString())).build());
      PartInfo part = m.parts().get(0);
      Path object;
      try (Stream<Path> s = Files.walk(repo)) {
        object = s.filter(p -> p.toString().endsWith(part.key())).findFirst().orElseThrow();
      }
      byte[] stored = Files.readAllBytes(object);
      stored[stored.length / 2] ^= 1;
      Files.write(object, stored);
      assertThatThrownBy(() -> backups.verify(m.id(), Map.of("aes-gcm", Map.of("keyFile", keyA.toString()))))
          .isInstanceOf(IntegrityException.class);
    }
  }

  @Test
  void keyRotationWithAKeyringAndPassphraseBackupsRestore() throws IOException {
    Path ring = Files.createDirectories(dir.resolve("ring"));
    Streams.privateFile(ring, "2025.key", AesGcmKeysTest.KEY_A);
    Streams.privateFile(ring, "2026.key", AesGcmKeysTest.KEY_B);
    try (Backups backups = Backups.builder().repository(repo.toUri().toString())
        .environment("B4J_PASSPHRASE", "correct horse battery staple").build()) {
      Manifest old = backups.backup(BackupJob.builder().source("files:" + source)
          .transform("aes-gcm", Map.of("keyring", ring.toString(), "keyId", "2025")).build());
      Manifest current = backups.backup(BackupJob.builder().source("files:" + source)
          .transform("aes-gcm", Map.of("keyring", ring.toString(), "keyId", "2026")).build());
      Manifest pass = backups.backup(BackupJob.builder().source("files:" + source)
          .transform("aes-gcm", Map.of("passphraseEnv", "B4J_PASSPHRASE", "argon2MemoryKiB", "8192",
              "argon2Iterations", "1", "argon2Parallelism", "1")).build());
      for (Manifest m : List.of(old, current)) {
        Path restored = dir.resolve("restored-" + m.id().value());
        backups.restore(m.id(), RestoreJob.builder(restored.toString())
            .transformOption("aes-gcm", "keyring", ring.toString()).build());
        assertThat(contents(restored)).isEqualTo(contents(source));
      }
      Path restored = dir.resolve("restored-pass");
      backups.restore(pass.id(), RestoreJob.builder(restored.toString())
          .transformOption("aes-gcm", "passphraseEnv", "B4J_PASSPHRASE").build());
      assertThat(contents(restored)).isEqualTo(contents(source));
      assertThat(pass.transforms().get(0).parameters()).containsEntry("kdf", "argon2id");
    }
  }

  @Test
  void pgpBackupRestoresAndItsStoredPartsOpenWithGpg() throws Exception {
    try (Backups backups = Backups.builder().repository(repo.toUri().toString())
        .environment("PGP_PW", "emergency passphrase").build()) {
      Manifest m = backups.backup(BackupJob.builder().source("files:" + source)
          .transform("pgp", Map.of("passphraseEnv", "PGP_PW")).build());
      assertRepositoryHoldsNoPlaintext();
      Path restored = dir.resolve("restored");
      backups.restore(m.id(), RestoreJob.builder(restored.toString())
          .transformOption("pgp", "passphraseEnv", "PGP_PW").build());
      assertThat(contents(restored)).isEqualTo(contents(source));

      assumeTrue(Gpg.installed(), "SKIPPED the gpg half: gpg is not installed (Debian package gnupg)");
      try (Gpg gpg = new Gpg(dir.resolve("gnupg"))) {
        for (PartInfo part : m.parts()) {
          Path object;
          try (Stream<Path> s = Files.walk(repo)) {
            object = s.filter(p -> p.toString().endsWith(part.key())).findFirst().orElseThrow();
          }
          assertThat(object.toString()).endsWith(".gpg");
          Path out = dir.resolve("gpg-" + part.name().replace('/', '_'));
          gpg.runOk("emergency passphrase", "--passphrase-fd", "0", "--output", out.toString(), "--decrypt",
              object.toString());
          byte[] raw;
          try (InputStream in = backups.openPart(m.id(), part.name(), Map.of("pgp", Map.of("passphraseEnv", "PGP_PW")))) {
            raw = in.readAllBytes();
          }
          assertThat(Files.readAllBytes(out)).isEqualTo(raw);
        }
      }
    }
  }
}
