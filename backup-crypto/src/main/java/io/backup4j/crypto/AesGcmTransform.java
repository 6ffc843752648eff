package io.backup4j.crypto;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.Secret;
import io.backup4j.api.Transform;
import io.backup4j.api.TransformSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The {@code aes-gcm} transform; created by {@link AesGcmTransformProvider}. Safe for concurrent streams. */
final class AesGcmTransform implements Transform {
  private static final SecureRandom RANDOM = new SecureRandom();
  private final int segmentSize;
  private final AesGcmTransformProvider.EncryptionChoice choice;
  private final List<MasterKey> keyring;
  private final @Nullable Secret passphrase;
  private final AesGcmTransformProvider.Argon2Settings argon2;
  private final @Nullable String keyIdOption;
  /** Argon2id is slow on purpose: derive once per (salt, parameters) and reuse for every part of a backup. */
  private final Map<Argon2Params, MasterKey> stretched = new HashMap<>();
  private @Nullable Argon2Params encryptionArgon2;

  AesGcmTransform(int segmentSize, AesGcmTransformProvider.EncryptionChoice choice, List<MasterKey> keyring,
      @Nullable Secret passphrase, AesGcmTransformProvider.Argon2Settings argon2, @Nullable String keyIdOption,
      boolean decrypting) {
    this.segmentSize = segmentSize;
    this.choice = choice;
    this.keyring = List.copyOf(keyring);
    this.passphrase = passphrase;
    this.argon2 = argon2;
    this.keyIdOption = keyIdOption;
    // the source usually needs a moment to start (connect, query, start pg_dump): compile the cipher meanwhile, for
    // the direction this transform is made for (encode and decode start the other one if it is used after all)
    SegmentCipher.warmUpInBackground(segmentSize, decrypting);
  }

  @Override
  public TransformSpec spec() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put(AesGcmTransformProvider.FORMAT_VERSION, Integer.toString(StreamHeader.VERSION));
    p.put(AesGcmTransformProvider.SEGMENT_SIZE, Integer.toString(segmentSize));
    MasterKey key = choice.key();
    if (key != null) {
      p.put(AesGcmTransformProvider.KEY_ID, key.id());
      p.put(AesGcmTransformProvider.KDF, "hkdf-sha256");
    } else if (choice.passphraseKeyId() != null) {
      p.put(AesGcmTransformProvider.KEY_ID, choice.passphraseKeyId());
      p.put(AesGcmTransformProvider.KDF, "argon2id");
      p.put(AesGcmTransformProvider.ARGON2_MEMORY, Integer.toString(argon2.memoryKiB()));
      p.put(AesGcmTransformProvider.ARGON2_ITERATIONS, Integer.toString(argon2.iterations()));
      p.put(AesGcmTransformProvider.ARGON2_PARALLELISM, Integer.toString(argon2.parallelism()));
    } else if (keyIdOption != null) {
      p.put(AesGcmTransformProvider.KEY_ID, keyIdOption);
    }
    return new TransformSpec(AesGcmTransformProvider.NAME, p);
  }

  @Override
  public String fileSuffix() {
    return ".aesgcm";
  }

  @Override
  public OutputStream encode(OutputStream downstream) throws IOException {
    SegmentCipher.warmUpInBackground(segmentSize, false);
    MasterKey master;
    Argon2Params a2 = null;
    if (choice.error() != null) {
      throw new ConfigurationException(choice.error());
    } else if (choice.key() != null) {
      master = choice.key();
    } else {
      a2 = encryptionArgon2();
      master = stretch(a2, java.util.Objects.requireNonNull(choice.passphraseKeyId()));
    }
    byte[] salt = random(StreamHeader.SALT_LENGTH);
    byte[] prefix = random(StreamHeader.NONCE_PREFIX_LENGTH);
    StreamKeys keys = master.streamKeys(salt);
    StreamHeader header = StreamHeader.create(segmentSize, salt, prefix, master.id(), a2, keys.macKey());
    return new EncryptingOutputStream(downstream, header, keys);
  }

  @Override
  public InputStream decode(InputStream upstream) {
    SegmentCipher.warmUpInBackground(segmentSize, true);
    return new DecryptingInputStream(upstream, this::keysFor);
  }

  /** One Argon2id salt per transform (per backup), so a backup of many parts pays for Argon2id once. */
  private synchronized Argon2Params encryptionArgon2() {
    if (encryptionArgon2 == null) {
      encryptionArgon2 = Argon2Params.checked(argon2.memoryKiB(), argon2.iterations(), argon2.parallelism(),
          random(Argon2Params.SALT_LENGTH));
    }
    return encryptionArgon2;
  }

  private synchronized MasterKey stretch(Argon2Params params, String keyId) {
    MasterKey k = stretched.get(params);
    if (k == null) {
      byte[] raw = params.derive(java.util.Objects.requireNonNull(passphrase));
      try {
        k = new MasterKey(raw, keyId, "passphrase, " + params);
      } finally {
        Arrays.fill(raw, (byte) 0);
      }
      stretched.put(params, k);
    }
    return k;
  }

  /** Finds the key of a stream and checks it against the header MAC, failing before any segment is read. */
  private StreamKeys keysFor(StreamHeader header) {
    if (header.kdf == StreamHeader.KDF_ARGON2ID) {
      if (passphrase == null) {
        throw new AccessDeniedException("backup was encrypted with a passphrase (key id " + header.keyId + ", "
            + header.argon2 + "); supply it with passphraseEnv=NAME or the secret "
            + AesGcmTransformProvider.SECRET_PASSPHRASE + (keyring.isEmpty() ? "" : "; the keyring holds only raw keys: "
            + AesGcmTransformProvider.describe(keyring)));
      }
      MasterKey k = stretch(java.util.Objects.requireNonNull(header.argon2), header.keyId);
      StreamKeys keys = k.streamKeys(header.salt());
      if (!header.macMatches(keys.macKey())) {
        throw new AccessDeniedException("wrong passphrase: backup was encrypted with passphrase key id "
            + header.keyId + " and the supplied passphrase does not match it");
      }
      return keys;
    }
    // Keys named like the header's key id first, then every other key: the header MAC commits to the key, so a
    // renamed key file still works and a wrong one is refused before any segment is decrypted.
    List<MasterKey> ordered = new ArrayList<>();
    keyring.stream().filter(k -> k.answersTo(header.keyId)).forEach(ordered::add);
    keyring.stream().filter(k -> !k.answersTo(header.keyId)).forEach(ordered::add);
    for (MasterKey k : ordered) {
      StreamKeys keys = k.streamKeys(header.salt());
      if (header.macMatches(keys.macKey())) {
        return keys;
      }
    }
    if (keyring.isEmpty()) {
      throw new AccessDeniedException("backup was encrypted with key id " + header.keyId + "; no key was supplied:"
          + " set keyFile=PATH, keyring=DIR (holding " + header.keyId + ".key), keyEnv=NAME, keyStore=PATH or the"
          + " secret " + AesGcmTransformProvider.SECRET_KEY
          + (passphrase != null ? " (a passphrase was supplied, but this backup used a raw key)" : ""));
    }
    boolean named = keyring.stream().anyMatch(k -> k.answersTo(header.keyId));
    throw new AccessDeniedException("backup was encrypted with key id " + header.keyId + "; the keyring holds "
        + AesGcmTransformProvider.describe(keyring)
        + (named ? " — a key named " + header.keyId + " is present but is not the key this backup was encrypted"
            + " with (wrong key file?)" : ""));
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  @Override
  public String toString() {
    MasterKey key = choice.key();
    return "aes-gcm(segment " + segmentSize + " B"
        + (key != null ? ", key id " + key.id() : choice.passphraseKeyId() != null ? ", passphrase" : "")
        + ", keyring " + keyring.size() + " key(s))";
  }
}
