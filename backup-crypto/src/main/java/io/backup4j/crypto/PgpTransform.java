package io.backup4j.crypto;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.Secret;
import io.backup4j.api.Transform;
import io.backup4j.api.TransformSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.SymmetricKeyAlgorithmTags;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPEncryptedData;
import org.bouncycastle.openpgp.PGPEncryptedDataGenerator;
import org.bouncycastle.openpgp.PGPEncryptedDataList;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPOnePassSignatureList;
import org.bouncycastle.openpgp.PGPPBEEncryptedData;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyEncryptedData;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.jcajce.JcaPGPObjectFactory;
import org.bouncycastle.openpgp.operator.PGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.jcajce.JcaKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.jcajce.JcaPGPDigestCalculatorProviderBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEDataDecryptorFactoryBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePBEKeyEncryptionMethodGenerator;
import org.bouncycastle.openpgp.operator.jcajce.JcePBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePGPDataEncryptorBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePublicKeyDataDecryptorFactoryBuilder;
import org.bouncycastle.openpgp.operator.jcajce.JcePublicKeyKeyEncryptionMethodGenerator;
import org.jspecify.annotations.Nullable;

/**
 * The {@code pgp} transform. The bulk cipher (AES-256-CFB) and the MDC run on the JDK's providers; BouncyCastle's
 * provider, passed as an instance and never registered globally, does the public-key operations (ECDH, X25519).
 *
 * <p>OpenPGP authenticates the whole message at its end (the MDC), not per segment: the decoder checks it before
 * returning end-of-stream, but bytes before a damaged spot are released first. The engine's SHA-256 of every stored
 * part (verified before a restore with verifyFirst) covers that gap; {@code aes-gcm} does not have it.
 */
final class PgpTransform implements Transform {
  /** Packet buffer for partial-length packets: bounded memory whatever the stream length. */
  private static final int PACKET_BUFFER = 1 << 16;
  /** S2K count byte 0xF0 = 33,554,432 bytes hashed, like gpg's calibrated default on current hardware. */
  private static final int S2K_COUNT = 0xF0;
  private static final Provider BC = new BouncyCastleProvider();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final @Nullable Secret passphrase;
  private final @Nullable Path secretKeyFile;
  private final @Nullable PGPPublicKey encryptionKey;

  PgpTransform(@Nullable Secret passphrase, @Nullable Path publicKeyFile, @Nullable String recipient,
      @Nullable Path secretKeyFile) {
    this.passphrase = passphrase;
    this.secretKeyFile = secretKeyFile;
    this.encryptionKey = publicKeyFile == null ? null : loadEncryptionKey(publicKeyFile, recipient);
  }

  @Override
  public TransformSpec spec() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put(PgpTransformProvider.CIPHER, "AES256");
    if (encryptionKey != null) {
      p.put(PgpTransformProvider.MODE, "publicKey");
      p.put(PgpTransformProvider.RECIPIENT_KEY_ID, keyIdHex(encryptionKey.getKeyID()));
    } else {
      p.put(PgpTransformProvider.MODE, "passphrase");
    }
    return new TransformSpec(PgpTransformProvider.NAME, p);
  }

  @Override
  public String fileSuffix() {
    return ".gpg";
  }

  @Override
  public OutputStream encode(OutputStream downstream) throws IOException {
    JcePGPDataEncryptorBuilder data = new JcePGPDataEncryptorBuilder(SymmetricKeyAlgorithmTags.AES_256)
        .setWithIntegrityPacket(true)
        .setSecureRandom(RANDOM);
    PGPEncryptedDataGenerator generator = new PGPEncryptedDataGenerator(data);
    // BouncyCastle keeps the char[] and derives the key only in open(): wipe it after open, not before.
    char[] pw = null;
    try {
      if (encryptionKey != null) {
        generator.addMethod(new JcePublicKeyKeyEncryptionMethodGenerator(encryptionKey).setProvider(BC)
            .setSecureRandom(RANDOM));
      } else if (passphrase != null) {
        pw = passphrase.reveal();
        generator.addMethod(new JcePBEKeyEncryptionMethodGenerator(pw, digests().get(HashAlgorithmTags.SHA256),
            S2K_COUNT).setSecureRandom(RANDOM));
      } else {
        throw new ConfigurationException("pgp: nothing to encrypt with; set publicKey=PATH or passphraseEnv=NAME (or"
            + " supply the secret " + PgpTransformProvider.SECRET_PASSPHRASE + ")");
      }
      OutputStream encrypted = generator.open(downstream, new byte[PACKET_BUFFER]);
      PGPLiteralDataGenerator literal = new PGPLiteralDataGenerator();
      OutputStream body = literal.open(encrypted, PGPLiteralData.BINARY, "", new Date(), new byte[PACKET_BUFFER]);
      return new PgpOutputStream(body, literal, generator, downstream);
    } catch (PGPException e) {
      throw new IOException("pgp: cannot start encryption: " + e.getMessage(), e);
    } finally {
      if (pw != null) {
        Arrays.fill(pw, '\0');
      }
    }
  }

  /** Closes literal packet, encrypted packet (writes the MDC) and downstream, in that order, once. */
  private static final class PgpOutputStream extends OutputStream {
    private final OutputStream body;
    private final PGPLiteralDataGenerator literal;
    private final PGPEncryptedDataGenerator generator;
    private final OutputStream downstream;
    private boolean closed;
    private boolean failed;

    PgpOutputStream(OutputStream body, PGPLiteralDataGenerator literal, PGPEncryptedDataGenerator generator,
        OutputStream downstream) {
      this.body = body;
      this.literal = literal;
      this.generator = generator;
      this.downstream = downstream;
    }

    @Override
    public void write(int b) throws IOException {
      check();
      try {
        body.write(b);
      } catch (IOException | RuntimeException e) {
        failed = true;
        throw e;
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      check();
      try {
        body.write(b, off, len);
      } catch (IOException | RuntimeException e) {
        failed = true;
        throw e;
      }
    }

    private void check() throws IOException {
      if (closed) {
        throw new IOException("pgp encoder is closed");
      }
      if (failed) {
        throw new IOException("pgp encoder failed earlier; the stream is unusable");
      }
    }

    @Override
    public void flush() throws IOException {
      body.flush();
    }

    /** After a failed write no MDC is written, so the output can never decrypt as complete. */
    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      try (downstream) {
        if (!failed) {
          literal.close();
          generator.close();
        }
      }
    }
  }

  @Override
  public InputStream decode(InputStream upstream) throws IOException {
    return new LazyDecoder(upstream);
  }

  /**
   * Remembers the last failure of the stored stream itself. BouncyCastle reports such failures like damage (or
   * swallows them and then finds the message truncated); with this, a dropped storage connection surfaces as the
   * IOException it is (retrying may help) instead of an IntegrityException that calls a good backup damaged.
   */
  private static final class TrackingInputStream extends java.io.FilterInputStream {
    private @Nullable IOException failure;

    TrackingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      try {
        return in.read();
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      try {
        return in.read(b, off, len);
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public long skip(long n) throws IOException {
      try {
        return in.skip(n);
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }

    @Override
    public int available() throws IOException {
      try {
        return in.available();
      } catch (IOException e) {
        failure = e;
        throw e;
      }
    }
  }

  /** Reads the packet headers on first read, so a wrong key fails before any plaintext. */
  private final class LazyDecoder extends InputStream {
    private final TrackingInputStream upstream;
    private @Nullable InputStream literal;
    private @Nullable PGPEncryptedData encrypted;
    private @Nullable InputStream message;
    private boolean done;
    private boolean closed;

    LazyDecoder(InputStream upstream) {
      this.upstream = new TrackingInputStream(Objects.requireNonNull(upstream, "upstream is null"));
    }

    /** Throws the stored stream's own failure, if it failed: then {@code e} is a consequence, not damage. */
    private void rethrowStorageFailure(Throwable e) throws IOException {
      IOException f = upstream.failure;
      if (f == null) {
        return;
      }
      if (f == e) {
        throw f;
      }
      IOException io = new IOException("pgp: reading the stored message failed: " + f.getMessage(), f);
      io.addSuppressed(e);
      throw io;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      if (closed) {
        throw new IOException("pgp decoder is closed");
      }
      if (done) {
        return -1;
      }
      if (len == 0) {
        return 0;
      }
      if (literal == null) {
        open();
      }
      int n;
      try {
        n = Objects.requireNonNull(literal).read(b, off, len);
      } catch (IOException | RuntimeException e) {
        rethrowStorageFailure(e);
        throw new IntegrityException("pgp: the OpenPGP message is truncated or damaged: " + e.getMessage(), e);
      }
      if (n < 0) {
        verifyIntegrity();
        done = true;
      }
      return n;
    }

    private void verifyIntegrity() throws IOException {
      PGPEncryptedData ed = Objects.requireNonNull(encrypted);
      boolean ok;
      try {
        ok = ed.verify();
      } catch (PGPException | IOException e) {
        rethrowStorageFailure(e);
        throw new IntegrityException("pgp: the integrity check (MDC) could not be completed: the message is"
            + " truncated or damaged", e);
      }
      if (!ok) {
        rethrowStorageFailure(new IOException("MDC mismatch"));
        throw new IntegrityException("pgp: the integrity check (MDC) failed: the message was altered or truncated");
      }
      int next;
      try {
        next = Objects.requireNonNull(message).read();
      } catch (IOException e) {
        rethrowStorageFailure(e);
        throw new IntegrityException("pgp: damaged data after the encrypted message", e);
      }
      if (next >= 0) {
        throw new IntegrityException("pgp: unexpected bytes after the end of the encrypted message (appended data?)");
      }
    }

    private void open() throws IOException {
      try {
        message = PGPUtil.getDecoderStream(upstream);
        JcaPGPObjectFactory factory = new JcaPGPObjectFactory(message);
        Object o = factory.nextObject();
        while (o instanceof PGPMarker) {
          o = factory.nextObject();
        }
        if (!(o instanceof PGPEncryptedDataList list)) {
          throw new IntegrityException("pgp: the object is not an OpenPGP encrypted message"
              + (o == null ? " (it is empty or truncated)" : " (found " + o.getClass().getSimpleName() + ")"));
        }
        InputStream clear = openEncrypted(list);
        JcaPGPObjectFactory inner = new JcaPGPObjectFactory(clear);
        Object m = inner.nextObject();
        if (m instanceof PGPCompressedData cd) {
          inner = new JcaPGPObjectFactory(cd.getDataStream());
          m = inner.nextObject();
        }
        if (m instanceof PGPOnePassSignatureList) {
          m = inner.nextObject(); // signatures are not checked here; the MDC still covers every byte
        }
        if (!(m instanceof PGPLiteralData data)) {
          throw new IntegrityException("pgp: the decrypted message holds no literal data"
              + (m == null ? "" : " (found " + m.getClass().getSimpleName() + ")")
              + (m instanceof PGPSignatureList ? "" : ": wrong key or damaged message"));
        }
        literal = data.getInputStream();
      } catch (PGPException e) {
        rethrowStorageFailure(e);
        throw new IntegrityException("pgp: the OpenPGP message cannot be decoded (truncated or damaged)", e);
      } catch (IOException e) {
        rethrowStorageFailure(e);
        throw new IntegrityException("pgp: the OpenPGP message cannot be parsed (truncated or damaged): "
            + e.getMessage(), e);
      } catch (io.backup4j.api.BackupException e) {
        rethrowStorageFailure(e);
        throw e;
      } catch (RuntimeException e) {
        rethrowStorageFailure(e);
        // BouncyCastle's parser throws unchecked exceptions on garbage
        throw new IntegrityException("pgp: the object is not a valid OpenPGP message: " + e, e);
      }
    }

    private InputStream openEncrypted(PGPEncryptedDataList list) throws PGPException {
      List<String> recipients = new ArrayList<>();
      boolean symmetric = false;
      PGPSecretKeyRingCollection secrets = secretKeyFile == null ? null : loadSecretKeys(secretKeyFile);
      for (PGPEncryptedData ed : list) {
        if (ed instanceof PGPPublicKeyEncryptedData pk) {
          recipients.add(keyIdHex(pk.getKeyID()));
          PGPSecretKey sk = secrets == null ? null : secrets.getSecretKey(pk.getKeyID());
          if (sk != null) {
            requireIntegrity(pk);
            PGPPrivateKey privateKey = extract(sk);
            encrypted = pk;
            return pk.getDataStream(new JcePublicKeyDataDecryptorFactoryBuilder().setProvider(BC)
                .setContentProvider(jdkProvider()).build(privateKey));
          }
        } else if (ed instanceof PGPPBEEncryptedData pbe) {
          symmetric = true;
          if (passphrase != null) {
            requireIntegrity(pbe);
            char[] pw = passphrase.reveal();
            try {
              encrypted = pbe;
              return pbe.getDataStream(new JcePBEDataDecryptorFactoryBuilder(digests()).build(pw));
            } catch (PGPException e) {
              if (causedByIo(e)) {
                throw new IntegrityException("pgp: the OpenPGP message is truncated or damaged", e);
              }
              // a wrong passphrase yields a wrong session key: a failed quick check or a nonsense algorithm id
              throw new AccessDeniedException("pgp: wrong passphrase: the backup's passphrase does not match (or its"
                  + " key packet is damaged)", e);
            } finally {
              Arrays.fill(pw, '\0');
            }
          }
        }
      }
      if (!recipients.isEmpty()) {
        String held = secrets == null ? "no secretKey=PATH was given" : "the secret key file " + secretKeyFile
            + " holds " + secretKeyIds(secrets);
        throw new AccessDeniedException("pgp: backup was encrypted to key id " + String.join(", ", recipients)
            + "; " + held + (symmetric ? " (it also accepts a passphrase: passphraseEnv=NAME)" : ""));
      }
      throw new AccessDeniedException("pgp: backup was encrypted with a passphrase; supply it with passphraseEnv=NAME"
          + " or the secret " + PgpTransformProvider.SECRET_PASSPHRASE);
    }

    private PGPPrivateKey extract(PGPSecretKey sk) throws PGPException {
      char[] pw = passphrase == null ? new char[0] : passphrase.reveal();
      try {
        return sk.extractPrivateKey(new JcePBESecretKeyDecryptorBuilder(digests()).setProvider(BC).build(pw));
      } catch (PGPException e) {
        throw new AccessDeniedException("pgp: cannot unlock secret key " + keyIdHex(sk.getKeyID()) + " from "
            + secretKeyFile + ": " + (passphrase == null ? "it needs its passphrase (passphraseEnv=NAME)"
            : "wrong passphrase"), e);
      } finally {
        Arrays.fill(pw, '\0');
      }
    }

    @Override
    public void close() throws IOException {
      if (!closed) {
        closed = true;
        upstream.close();
      }
    }
  }

  private static void requireIntegrity(PGPEncryptedData ed) {
    if (!ed.isIntegrityProtected()) {
      throw new IntegrityException("pgp: the message is not integrity-protected (no MDC); refusing to decrypt it,"
          + " as tampering could not be detected");
    }
  }

  private static boolean causedByIo(Throwable e) {
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  private static PGPDigestCalculatorProvider digests() throws PGPException {
    return new JcaPGPDigestCalculatorProviderBuilder().build();
  }

  private static Provider jdkProvider() {
    Provider p = Security.getProvider("SunJCE");
    return p != null ? p : BC;
  }

  static String keyIdHex(long keyId) {
    return String.format(Locale.ROOT, "%016X", keyId);
  }

  private static String secretKeyIds(PGPSecretKeyRingCollection secrets) {
    List<String> ids = new ArrayList<>();
    secrets.getKeyRings().forEachRemaining(r -> r.getSecretKeys().forEachRemaining(k -> ids.add(keyIdHex(k.getKeyID()))));
    return ids.isEmpty() ? "no keys" : String.join(", ", ids);
  }

  private static PGPSecretKeyRingCollection loadSecretKeys(Path file) {
    try (InputStream in = PGPUtil.getDecoderStream(Files.newInputStream(file))) {
      return new PGPSecretKeyRingCollection(in, new JcaKeyFingerprintCalculator());
    } catch (IOException | PGPException e) {
      throw new ConfigurationException("pgp: secretKey " + file + " is not an OpenPGP secret key file (export one"
          + " with 'gpg --export-secret-keys --armor KEYID > FILE')", e);
    }
  }

  private static PGPPublicKey loadEncryptionKey(Path file, @Nullable String recipient) {
    PGPPublicKeyRingCollection rings;
    try (InputStream in = PGPUtil.getDecoderStream(Files.newInputStream(file))) {
      rings = new PGPPublicKeyRingCollection(in, new JcaKeyFingerprintCalculator());
    } catch (IOException | PGPException e) {
      throw new ConfigurationException("pgp: publicKey " + file + " is not an OpenPGP public key file (export one with"
          + " 'gpg --export --armor KEYID > FILE')", e);
    }
    List<PGPPublicKey> candidates = new ArrayList<>();
    for (Iterator<PGPPublicKeyRing> it = rings.getKeyRings(); it.hasNext(); ) {
      for (Iterator<PGPPublicKey> keys = it.next().getPublicKeys(); keys.hasNext(); ) {
        PGPPublicKey k = keys.next();
        if (k.isEncryptionKey() && !k.hasRevocation()) {
          candidates.add(k);
        }
      }
    }
    if (recipient != null) {
      String want = recipient.toUpperCase(Locale.ROOT).replaceFirst("^0X", "");
      for (PGPPublicKey k : candidates) {
        if (keyIdHex(k.getKeyID()).endsWith(want) && want.length() >= 8) {
          return k;
        }
      }
      throw new NotFoundException("pgp: publicKey " + file + " holds no encryption key " + recipient
          + "; it holds " + ids(candidates));
    }
    if (candidates.isEmpty()) {
      throw new ConfigurationException("pgp: publicKey " + file + " holds no usable encryption key");
    }
    // gpg lists the primary key before its subkeys; the newest encryption subkey is the one gpg itself would use.
    return candidates.get(candidates.size() - 1);
  }

  private static String ids(List<PGPPublicKey> keys) {
    return keys.isEmpty() ? "none" : String.join(", ", keys.stream().map(k -> keyIdHex(k.getKeyID())).toList());
  }

  @Override
  public String toString() {
    return "pgp(" + (encryptionKey != null ? "to " + keyIdHex(encryptionKey.getKeyID()) : "passphrase") + ")";
  }
}
