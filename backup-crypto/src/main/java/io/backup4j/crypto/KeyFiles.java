package io.backup4j.crypto;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.NotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.security.UnrecoverableKeyException;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Reads raw 256-bit keys from files, text (environment variables, secrets) and Java KeyStores. */
final class KeyFiles {
  private static final int MAX_KEY_FILE = 4096;
  private static final Set<PosixFilePermission> GROUP_OR_OTHERS = EnumSet.of(
      PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

  private KeyFiles() {}

  /**
   * Parses key material: exactly 32 raw bytes, or (surrounding whitespace ignored) 64 hex digits or the base64 of
   * 32 bytes. Messages name {@code what} and the length, never the content.
   */
  static byte[] parse(byte[] content, String what) {
    return parse(content, what, true);
  }

  /**
   * As {@link #parse(byte[], String)}; with {@code allowRaw} false (text sources such as environment variables, where
   * 32 characters are far more likely a password than a key) only hex and base64 are accepted.
   */
  static byte[] parse(byte[] content, String what, boolean allowRaw) {
    if (allowRaw && content.length == MasterKey.LENGTH) {
      return content.clone();
    }
    String text = new String(content, StandardCharsets.US_ASCII).strip();
    byte[] key = null;
    if (text.length() == 64 && text.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
      key = HexFormat.of().parseHex(text);
    } else if (text.length() >= 43 && text.length() <= 44) {
      try {
        key = Base64.getDecoder().decode(text);
      } catch (IllegalArgumentException e) {
        key = null;
      }
    }
    if (key == null || key.length != MasterKey.LENGTH) {
      throw new ConfigurationException(what + " does not hold a 256-bit key (" + content.length + " bytes): expected"
          + (allowRaw ? " exactly 32 raw bytes," : "") + " 64 hex digits or the base64 of 32 bytes; create one with"
          + " 'head -c 32 /dev/urandom > FILE' or 'openssl rand -hex 32 > FILE'");
    }
    return key;
  }

  /**
   * Reads a key file. A file readable or writable by group or others is refused unless {@code allowInsecure}: like
   * ssh with private keys and libpq with {@code .pgpass}, a key that other accounts can read is as good as disclosed.
   */
  static byte[] read(Path file, boolean allowInsecure, String option) {
    checkPermissions(file, allowInsecure, option);
    byte[] content;
    try (InputStream in = Files.newInputStream(file)) {
      content = in.readNBytes(MAX_KEY_FILE + 1);
    } catch (NoSuchFileException e) {
      throw new NotFoundException("aes-gcm: " + option + " " + file + " does not exist");
    } catch (IOException e) {
      throw new AccessDeniedException("aes-gcm: cannot read " + option + " " + file + ": " + e.getClass().getSimpleName(), e);
    }
    try {
      if (content.length > MAX_KEY_FILE) {
        throw new ConfigurationException("aes-gcm: " + option + " " + file + " is larger than " + MAX_KEY_FILE
            + " bytes: it is not a key file");
      }
      return parse(content, "aes-gcm: " + option + " " + file);
    } finally {
      Arrays.fill(content, (byte) 0);
    }
  }

  static void checkPermissions(Path file, boolean allowInsecure, String option) {
    if (!Files.exists(file)) {
      throw new NotFoundException("aes-gcm: " + option + " " + file + " does not exist");
    }
    if (allowInsecure) {
      return;
    }
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    if (view == null) {
      return; // not a POSIX file system: its ACLs are the administrator's business
    }
    Set<PosixFilePermission> perms;
    try {
      perms = view.readAttributes().permissions();
    } catch (IOException e) {
      throw new AccessDeniedException("aes-gcm: cannot read the permissions of " + option + " " + file, e);
    }
    Set<PosixFilePermission> loose = EnumSet.copyOf(GROUP_OR_OTHERS);
    loose.retainAll(perms);
    if (!loose.isEmpty()) {
      throw new AccessDeniedException("aes-gcm: " + option + " " + file + " is accessible by group or others ("
          + java.nio.file.attribute.PosixFilePermissions.toString(perms) + "); run 'chmod 600 " + file
          + "', or set allowInsecureKeyFile=true if the directory is private (e.g. a mounted secret volume)");
    }
  }

  /** Loads an AES-256 secret key entry from a Java KeyStore (PKCS12 or JCEKS, detected from the file). */
  static byte[] fromKeyStore(Path file, String alias, char @Nullable [] password, boolean allowInsecure) {
    checkPermissions(file, allowInsecure, "keyStore");
    try {
      KeyStore ks = KeyStore.getInstance(file.toFile(), password);
      if (!ks.containsAlias(alias)) {
        throw new NotFoundException("aes-gcm: keyStore " + file + " has no entry '" + alias + "'; it holds "
            + java.util.Collections.list(ks.aliases()));
      }
      java.security.Key key = ks.getKey(alias, password);
      if (!(key instanceof javax.crypto.SecretKey sk) || sk.getEncoded() == null
          || sk.getEncoded().length != MasterKey.LENGTH) {
        throw new ConfigurationException("aes-gcm: keyStore entry '" + alias + "' in " + file
            + " is not a 256-bit secret key; create one with 'keytool -genseckey -keyalg AES -keysize 256"
            + " -storetype PKCS12 -alias " + alias + " -keystore " + file + "'");
      }
      return sk.getEncoded();
    } catch (UnrecoverableKeyException e) {
      throw new AccessDeniedException("aes-gcm: wrong password for keyStore entry '" + alias + "' in " + file, e);
    } catch (IOException e) {
      if (e.getCause() instanceof UnrecoverableKeyException) {
        throw new AccessDeniedException("aes-gcm: wrong password for keyStore " + file, e);
      }
      throw new AccessDeniedException("aes-gcm: cannot open keyStore " + file + " (wrong password or not a"
          + " keystore): " + e.getClass().getSimpleName(), e);
    } catch (KeyStoreException e) {
      throw new ConfigurationException("aes-gcm: " + file + " is not a PKCS12 or JCEKS keystore", e);
    } catch (GeneralSecurityException e) {
      throw new AccessDeniedException("aes-gcm: cannot read keyStore entry '" + alias + "' in " + file + ": "
          + e.getClass().getSimpleName(), e);
    } finally {
      if (password != null) {
        Arrays.fill(password, '\0');
      }
    }
  }
}
