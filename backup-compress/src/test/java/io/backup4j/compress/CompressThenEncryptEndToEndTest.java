package io.backup4j.compress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.BackupException;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.Manifest;
import io.backup4j.api.PartInfo;
import io.backup4j.api.TransformSpec;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.core.RestoreJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The "done when": a backup through zstd then aes-gcm restores byte-identical through the real engine. */
class CompressThenEncryptEndToEndTest {
  @TempDir
  Path tmp;

  @Test
  void zstdThenAesGcmRestoresByteIdenticalAndNeedsTheKey() throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src"));
    Files.write(src.resolve("rows.tsv"), TestSupport.structured(4 * 1024 * 1024 + 7, 1));
    Files.write(src.resolve("random.bin"), TestSupport.random(200_003, 2));
    Files.write(src.resolve("empty.bin"), new byte[0]);
    Path key = tmp.resolve("backup.key");
    Files.writeString(key, HexFormat.of().formatHex(TestSupport.random(32, 3)));
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    Path repo = tmp.resolve("repo");
    Path restored = tmp.resolve("restored");

    try (Backups backups = Backups.builder().repository(repo.toUri().toString()).build()) {
      Manifest m = backups.backup(BackupJob.builder().source("dirparts:" + src)
          .transform("zstd", Map.of("level", "3", "workers", "2"))
          .transform("aes-gcm", Map.of("keyFile", key.toString())).build());

      assertThat(m.transforms()).extracting(TransformSpec::name).containsExactly("zstd", "aes-gcm");
      assertThat(m.parts()).extracting(PartInfo::key).allMatch(k -> k.endsWith(".zst.aesgcm"));
      PartInfo rows = m.part("rows.tsv").orElseThrow();
      assertThat(rows.storedSize()).as("compressed before encryption").isLessThan(rows.rawSize() * 6 / 10);

      backups.verify(m.id(), Map.of("aes-gcm", Map.of("keyFile", key.toString())));
      backups.restore(m.id(), RestoreJob.builder(restored.toString())
          .transformOption("aes-gcm", "keyFile", key.toString()).build());
      for (String name : new String[] {"rows.tsv", "random.bin", "empty.bin"}) {
        assertThat(restored.resolve(name)).hasSameBinaryContentAs(src.resolve(name));
      }

      assertThatThrownBy(() -> backups.restore(m.id(), RestoreJob.builder(tmp.resolve("nokey").toString()).build()))
          .isInstanceOf(BackupException.class)
          .isNotInstanceOf(IntegrityException.class);
      assertThat(tmp.resolve("nokey").resolve("rows.tsv")).doesNotExist();
    }
  }
}
