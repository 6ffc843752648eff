package io.backup4j.crypto;

import io.backup4j.api.ConfigurationException;
import io.backup4j.api.Secret;
import io.backup4j.api.Transform;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.TransformProvider;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The {@code aes-gcm} transform: segmented AES-256-GCM streaming encryption (format in
 * {@code docs/encryption-format.md}).
 *
 * <p>Options (all optional, but one key source is needed to encrypt):
 * <ul>
 *   <li>{@code keyFile=PATH} a file of 32 raw bytes, 64 hex digits or base64 (mode 600 unless
 *       {@code allowInsecureKeyFile=true});
 *   <li>{@code keyEnv=NAME} an environment variable holding the key as hex or base64;
 *   <li>{@code keyStore=PATH}, {@code keyAlias=ALIAS} an AES-256 entry of a PKCS12/JCEKS keystore whose password is
 *       the secret {@code aes-gcm.keyStorePassword} or the variable named by {@code keyStorePasswordEnv=NAME};
 *   <li>{@code passphraseEnv=NAME} a passphrase stretched with Argon2id ({@code argon2MemoryKiB},
 *       {@code argon2Iterations}, {@code argon2Parallelism});
 *   <li>{@code keyring=DIR[:DIR|FILE...]} more keys for decryption, each file {@code <keyId>.key};
 *   <li>{@code keyId=ID} the id written into the header (default: the key's fingerprint, or {@code passphrase});
 *       with only a keyring, picks the keyring entry that encrypts;
 *   <li>{@code segmentSize=BYTES} plaintext per segment, default 65536.
 * </ul>
 * Secrets from {@link ProviderContext#secret}: {@code aes-gcm.key} (raw, hex or base64) and
 * {@code aes-gcm.passphrase}, used when no key option is given.
 */
public final class AesGcmTransformProvider implements TransformProvider {
  /** The provider name. */
  public static final String NAME = "aes-gcm";
  static final String KEY_FILE = "keyFile";
  static final String KEY_ENV = "keyEnv";
  static final String KEY_STORE = "keyStore";
  static final String KEY_ALIAS = "keyAlias";
  static final String KEY_STORE_PASSWORD_ENV = "keyStorePasswordEnv";
  static final String PASSPHRASE_ENV = "passphraseEnv";
  static final String KEYRING = "keyring";
  static final String KEY_ID = "keyId";
  static final String SEGMENT_SIZE = "segmentSize";
  static final String ARGON2_MEMORY = "argon2MemoryKiB";
  static final String ARGON2_ITERATIONS = "argon2Iterations";
  static final String ARGON2_PARALLELISM = "argon2Parallelism";
  static final String ALLOW_INSECURE = "allowInsecureKeyFile";
  /** Recorded only: what derived the key ({@code hkdf-sha256} or {@code argon2id}). */
  static final String KDF = "kdf";
  /** Recorded only. */
  static final String FORMAT_VERSION = "formatVersion";
  static final String SECRET_KEY = "aes-gcm.key";
  static final String SECRET_PASSPHRASE = "aes-gcm.passphrase";
  static final String SECRET_KEYSTORE_PASSWORD = "aes-gcm.keyStorePassword";
  static final int DEFAULT_SEGMENT = 64 * 1024;

  private static final Set<String> KNOWN = Set.of(KEY_FILE, KEY_ENV, KEY_STORE, KEY_ALIAS, KEY_STORE_PASSWORD_ENV,
      PASSPHRASE_ENV, KEYRING, KEY_ID, SEGMENT_SIZE, ARGON2_MEMORY, ARGON2_ITERATIONS, ARGON2_PARALLELISM,
      ALLOW_INSECURE, KDF, FORMAT_VERSION);
  /** Option names that would carry key material inline; refused, but redacted should a caller print them. */
  private static final Set<String> INLINE_SECRETS = Set.of("key", "passphrase", "password", "keyStorePassword");

  /** Creates the provider (for {@link java.util.ServiceLoader}). */
  public AesGcmTransformProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<String> sensitiveOptions() {
    return INLINE_SECRETS;
  }

  @Override
  public String description() {
    return "aes-gcm: AES-256-GCM streaming encryption in 64 KiB authenticated segments; key from keyFile=, keyEnv=,"
        + " keyStore=+keyAlias=, passphraseEnv= (Argon2id) or secret aes-gcm.key; keyring=DIR for old keys";
  }

  @Override
  public Transform create(Map<String, String> parameters, ProviderContext context) {
    for (String name : parameters.keySet()) {
      if (INLINE_SECRETS.contains(name)) {
        throw new ConfigurationException("aes-gcm: option '" + name + "' would put key material on a command line or"
            + " in a config file; use keyFile=PATH, keyEnv=NAME, passphraseEnv=NAME or the secret " + SECRET_KEY);
      }
      if (!KNOWN.contains(name)) {
        throw new ConfigurationException("aes-gcm: unknown option '" + name + "'; known options: " + new TreeSet<>(KNOWN));
      }
    }
    Options o = new Options(parameters);
    boolean allowInsecure = o.bool(ALLOW_INSECURE);
    int segmentSize = o.integer(SEGMENT_SIZE, DEFAULT_SEGMENT);
    if (segmentSize < StreamHeader.MIN_SEGMENT || segmentSize > StreamHeader.MAX_SEGMENT) {
      throw new ConfigurationException("aes-gcm: segmentSize must be " + StreamHeader.MIN_SEGMENT + ".."
          + StreamHeader.MAX_SEGMENT + " bytes, got " + segmentSize);
    }
    String keyId = o.get(KEY_ID);
    if (keyId != null && !StreamHeader.isValidKeyId(keyId)) {
      throw new ConfigurationException("aes-gcm: keyId must be 1..64 characters of [A-Za-z0-9._-], got '" + keyId + "'");
    }

    // Keys named by options: each may encrypt; all of them decrypt.
    List<MasterKey> explicit = new ArrayList<>();
    String keyFile = o.get(KEY_FILE);
    if (keyFile != null) {
      explicit.add(named(KeyFiles.read(Path.of(keyFile), allowInsecure, KEY_FILE), keyId, "keyFile " + keyFile));
    }
    String keyEnv = o.get(KEY_ENV);
    if (keyEnv != null) {
      String value = context.environment(keyEnv).orElseThrow(() -> new ConfigurationException(
          "aes-gcm: keyEnv names the environment variable " + keyEnv + ", which is not set"));
      explicit.add(named(KeyFiles.parse(value.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
          "aes-gcm: environment variable " + keyEnv, false), keyId, "keyEnv " + keyEnv));
    }
    String keyStore = o.get(KEY_STORE);
    if (keyStore != null) {
      String alias = o.get(KEY_ALIAS);
      if (alias == null) {
        throw new ConfigurationException("aes-gcm: keyStore needs keyAlias=ALIAS naming the AES-256 entry");
      }
      char[] password = keyStorePassword(o, context);
      explicit.add(named(KeyFiles.fromKeyStore(Path.of(keyStore), alias, password, allowInsecure), keyId,
          "keyStore " + keyStore + " alias " + alias));
    } else if (o.get(KEY_ALIAS) != null) {
      throw new ConfigurationException("aes-gcm: keyAlias is set but keyStore=PATH is not");
    }
    @Nullable MasterKey secretKey = null;
    Optional<Secret> sk = context.secret(SECRET_KEY);
    if (sk.isPresent()) {
      byte[] raw = sk.get().revealBytes();
      try {
        secretKey = named(KeyFiles.parse(raw, "aes-gcm: secret " + SECRET_KEY), keyId, "secret " + SECRET_KEY);
      } finally {
        Arrays.fill(raw, (byte) 0);
      }
    }
    List<MasterKey> ring = new ArrayList<>();
    String keyring = o.get(KEYRING);
    if (keyring != null) {
      for (String entry : keyring.split(File.pathSeparator)) {
        if (!entry.isBlank()) {
          loadKeyring(Path.of(entry.strip()), allowInsecure, ring);
        }
      }
    }
    @Nullable Secret passphrase = null;
    boolean passphraseExplicit = false;
    String passphraseEnv = o.get(PASSPHRASE_ENV);
    if (passphraseEnv != null) {
      passphrase = Secret.of(context.environment(passphraseEnv).orElseThrow(() -> new ConfigurationException(
          "aes-gcm: passphraseEnv names the environment variable " + passphraseEnv + ", which is not set")));
      passphraseExplicit = true;
    } else {
      passphrase = context.secret(SECRET_PASSPHRASE).orElse(null);
    }
    if (passphrase != null && passphrase.length() == 0) {
      throw new ConfigurationException("aes-gcm: the passphrase is empty");
    }
    Argon2Settings argon2 = new Argon2Settings(
        o.integer(ARGON2_MEMORY, Argon2Params.DEFAULT_MEMORY_KIB),
        o.integer(ARGON2_ITERATIONS, Argon2Params.DEFAULT_ITERATIONS),
        o.integer(ARGON2_PARALLELISM, Argon2Params.DEFAULT_PARALLELISM));
    Argon2Params.checked(argon2.memoryKiB(), argon2.iterations(), argon2.parallelism(), new byte[16]);

    // Which key encrypts: an explicit option wins over context secrets; two explicit sources are ambiguous.
    EncryptionChoice choice;
    int explicitCount = explicit.size() + (passphraseExplicit ? 1 : 0);
    if (explicitCount > 1) {
      choice = EncryptionChoice.error("aes-gcm: several encryption keys are configured (" + describe(explicit)
          + (passphraseExplicit ? ", passphraseEnv " + passphraseEnv : "") + "); give exactly one of keyFile, keyEnv,"
          + " keyStore, passphraseEnv to encrypt (put older keys into keyring=DIR)");
    } else if (explicit.size() == 1) {
      choice = EncryptionChoice.key(explicit.get(0));
    } else if (passphraseExplicit) {
      choice = EncryptionChoice.passphrase(keyId == null ? "passphrase" : keyId);
    } else if (keyId != null && ring.stream().anyMatch(k -> k.answersTo(keyId))) {
      choice = EncryptionChoice.key(ring.stream().filter(k -> k.answersTo(keyId)).findFirst().orElseThrow());
    } else if (keyId != null && !ring.isEmpty() && secretKey == null && passphrase == null) {
      choice = EncryptionChoice.error("aes-gcm: keyId " + keyId + " selects the encryption key from the keyring, but"
          + " the keyring holds " + describe(ring) + "; add " + keyId + ".key to it");
    } else if (secretKey != null && passphrase != null) {
      choice = EncryptionChoice.error("aes-gcm: both secrets " + SECRET_KEY + " and " + SECRET_PASSPHRASE
          + " are supplied; supply one to encrypt");
    } else if (secretKey != null) {
      choice = EncryptionChoice.key(secretKey);
    } else if (passphrase != null) {
      choice = EncryptionChoice.passphrase(keyId == null ? "passphrase" : keyId);
    } else {
      choice = EncryptionChoice.error("aes-gcm: no encryption key is configured; set keyFile=PATH, keyEnv=NAME,"
          + " keyStore=PATH with keyAlias=ALIAS, passphraseEnv=NAME, keyring=DIR with keyId=ID, or supply the secret "
          + SECRET_KEY + " or " + SECRET_PASSPHRASE);
    }
    List<MasterKey> decryption = new ArrayList<>(explicit);
    if (secretKey != null) {
      decryption.add(secretKey);
    }
    decryption.addAll(ring);
    // at restore time the parameters hold those the manifest recorded (formatVersion among them): decrypting
    return new AesGcmTransform(segmentSize, choice, decryption, passphrase, argon2, keyId,
        parameters.containsKey(FORMAT_VERSION));
  }

  private static MasterKey named(byte[] key, @Nullable String keyId, String origin) {
    try {
      return new MasterKey(key, keyId != null ? keyId : MasterKey.fingerprint(key), origin);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  private static char @Nullable [] keyStorePassword(Options o, ProviderContext context) {
    String env = o.get(KEY_STORE_PASSWORD_ENV);
    if (env != null) {
      return context.environment(env).orElseThrow(() -> new ConfigurationException(
          "aes-gcm: keyStorePasswordEnv names the environment variable " + env + ", which is not set")).toCharArray();
    }
    return context.secret(SECRET_KEYSTORE_PASSWORD).map(Secret::reveal).orElseThrow(() -> new ConfigurationException(
        "aes-gcm: keyStore needs its password: set keyStorePasswordEnv=NAME or supply the secret "
            + SECRET_KEYSTORE_PASSWORD));
  }

  private static void loadKeyring(Path entry, boolean allowInsecure, List<MasterKey> ring) {
    if (Files.isDirectory(entry)) {
      List<Path> files;
      try (Stream<Path> s = Files.list(entry)) {
        files = s.filter(p -> p.getFileName().toString().endsWith(".key")).sorted().toList();
      } catch (IOException e) {
        throw new io.backup4j.api.AccessDeniedException("aes-gcm: cannot list keyring directory " + entry, e);
      }
      for (Path f : files) {
        loadKeyring(f, allowInsecure, ring);
      }
      return;
    }
    String fileName = entry.getFileName().toString();
    String id = fileName.endsWith(".key") ? fileName.substring(0, fileName.length() - 4) : fileName;
    if (!StreamHeader.isValidKeyId(id)) {
      throw new ConfigurationException("aes-gcm: keyring file " + entry + " must be named <keyId>.key with a key id"
          + " of 1..64 characters [A-Za-z0-9._-]");
    }
    ring.add(named(KeyFiles.read(entry, allowInsecure, "keyring file"), id, "keyring " + entry));
  }

  static String describe(List<MasterKey> keys) {
    return String.join(", ", keys.stream().map(MasterKey::toString).toList());
  }

  record Argon2Settings(int memoryKiB, int iterations, int parallelism) {}

  /** The key that encrypts, or why there is none (reported only if encryption is asked for). */
  record EncryptionChoice(@Nullable MasterKey key, @Nullable String passphraseKeyId, @Nullable String error) {
    static EncryptionChoice key(MasterKey k) {
      return new EncryptionChoice(k, null, null);
    }

    static EncryptionChoice passphrase(String keyId) {
      return new EncryptionChoice(null, keyId, null);
    }

    static EncryptionChoice error(String message) {
      return new EncryptionChoice(null, null, message);
    }
  }

  /** Typed access to options with errors naming the option. */
  private record Options(Map<String, String> map) {
    @Nullable String get(String name) {
      String v = map.get(name);
      return v == null || v.isBlank() ? null : v.strip();
    }

    boolean bool(String name) {
      String v = get(name);
      if (v == null || v.equalsIgnoreCase("false")) {
        return false;
      }
      if (v.equalsIgnoreCase("true")) {
        return true;
      }
      throw new ConfigurationException("aes-gcm: " + name + " must be true or false, got '" + v + "'");
    }

    int integer(String name, int dflt) {
      String v = get(name);
      if (v == null) {
        return dflt;
      }
      try {
        return Integer.parseInt(v);
      } catch (NumberFormatException e) {
        throw new ConfigurationException("aes-gcm: " + name + " must be an integer, got '" + v + "'");
      }
    }
  }
}
