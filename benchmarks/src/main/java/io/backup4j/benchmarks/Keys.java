package io.backup4j.benchmarks;

import io.backup4j.api.Secret;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/** A throw-away AES-256 key for the encryption benchmarks, handed over as the engine secret {@code aes-gcm.key}. */
final class Keys {
  static final String SECRET_NAME = "aes-gcm.key";
  private static final String KEY_HEX;

  static {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    KEY_HEX = HexFormat.of().formatHex(key);
  }

  private Keys() {}

  static Secret key() {
    return Secret.of(KEY_HEX);
  }

  static Optional<Secret> secret(String name) {
    return SECRET_NAME.equals(name) ? Optional.of(key()) : Optional.empty();
  }
}
