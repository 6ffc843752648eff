package io.backup4j.crypto;

import io.backup4j.api.AlreadyExistsException;
import io.backup4j.api.ConfigurationException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Key-file utilities for the {@code aes-gcm} transform, for tools such as the CLI ({@code backup4j key generate},
 * {@code backup4j key id}).
 */
public final class AesGcmKeys {
  private AesGcmKeys() {}

  /**
   * Creates {@code file} holding a fresh random 256-bit key as 64 hex digits, readable by the owner only, and returns
   * its key id. Never overwrites: an existing file is an {@link AlreadyExistsException} (losing a key loses every
   * backup made with it).
   */
  public static String generateKeyFile(Path file) {
    byte[] key = new byte[MasterKey.LENGTH];
    new SecureRandom().nextBytes(key);
    byte[] text = (HexFormat.of().formatHex(key) + "\n").getBytes(StandardCharsets.US_ASCII);
    try {
      boolean posix = file.toAbsolutePath().getParent() != null
          && Files.getFileStore(file.toAbsolutePath().getParent()).supportsFileAttributeView("posix");
      FileAttribute<?>[] attrs = posix
          ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))}
          : new FileAttribute<?>[0];
      Files.createFile(file, attrs);
      try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE, StandardOpenOption.SYNC)) {
        out.write(text);
      }
      return MasterKey.fingerprint(key);
    } catch (FileAlreadyExistsException e) {
      throw new AlreadyExistsException("aes-gcm: " + file + " already exists; a key file is never overwritten");
    } catch (IOException e) {
      throw new ConfigurationException("aes-gcm: cannot create key file " + file + ": " + e.getClass().getSimpleName(), e);
    } finally {
      Arrays.fill(key, (byte) 0);
      Arrays.fill(text, (byte) 0);
    }
  }

  /** The default key id (fingerprint) of the key in {@code keyFile}, as recorded in headers and manifests. */
  public static String keyId(Path keyFile, boolean allowInsecureKeyFile) {
    byte[] key = KeyFiles.read(keyFile, allowInsecureKeyFile, "keyFile");
    try {
      return MasterKey.fingerprint(key);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }
}
