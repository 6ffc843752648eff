package io.backup4j.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.AlreadyExistsException;
import io.backup4j.api.Transform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AesGcmKeysUtilityTest {
  @TempDir Path dir;

  @Test
  void generatedKeyFileIsPrivateUsableAndNeverOverwritten() throws IOException {
    Path file = dir.resolve("new.key");
    String id = AesGcmKeys.generateKeyFile(file);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(Files.readString(file)).matches("[0-9a-f]{64}\n");
    assertThat(AesGcmKeys.keyId(file, false)).isEqualTo(id).hasSize(16);
    Transform t = new AesGcmTransformProvider().create(Map.of("keyFile", file.toString()), new TestContext(dir));
    assertThat(t.spec().parameters()).containsEntry("keyId", id);
    byte[] before = Files.readAllBytes(file);
    assertThatThrownBy(() -> AesGcmKeys.generateKeyFile(file)).isInstanceOf(AlreadyExistsException.class);
    assertThat(Files.readAllBytes(file)).isEqualTo(before);
    assertThat(AesGcmKeys.generateKeyFile(dir.resolve("other.key"))).isNotEqualTo(id);
  }
}
