package io.backup4j.core.internal;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers. */
public final class Digests {
  private Digests() {}

  /** A new SHA-256 digest. */
  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }

  /** Lower-case hex of a digest's result. */
  public static String hex(MessageDigest digest) {
    return HexFormat.of().formatHex(digest.digest());
  }

  /** Lower-case hex SHA-256 of a string's UTF-8 bytes. */
  public static String sha256Hex(String s) {
    MessageDigest d = sha256();
    d.update(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return hex(d);
  }
}
