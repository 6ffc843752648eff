package io.backup4j.crypto;

import io.backup4j.api.ConfigurationException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.Secret;
import io.backup4j.api.Transform;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.TransformProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The {@code pgp} transform: OpenPGP (RFC 4880) AES-256 encryption with an integrity-protected (SEIPD v1 + MDC)
 * packet in streaming partial-length packets, so that {@code gpg --decrypt} reads a backup without backup4j.
 *
 * <p>Options:
 * <ul>
 *   <li>{@code passphraseEnv=NAME} (or the secret {@code pgp.passphrase}): symmetric encryption (iterated and salted
 *       S2K, SHA-256), and at restore the passphrase of {@code secretKey};
 *   <li>{@code publicKey=PATH} a public key (ring) file, armored or binary, to encrypt to; {@code recipient=HEX}
 *       picks a key id when the file holds several encryption keys;
 *   <li>{@code secretKey=PATH} the matching secret key (ring) file for restore, armored or binary.
 * </ul>
 */
public final class PgpTransformProvider implements TransformProvider {
  /** The provider name. */
  public static final String NAME = "pgp";
  static final String PASSPHRASE_ENV = "passphraseEnv";
  static final String PUBLIC_KEY = "publicKey";
  static final String SECRET_KEY = "secretKey";
  static final String RECIPIENT = "recipient";
  static final String SECRET_PASSPHRASE = "pgp.passphrase";
  /** Recorded only. */
  static final String MODE = "mode";
  static final String CIPHER = "cipher";
  static final String RECIPIENT_KEY_ID = "recipientKeyId";
  private static final Set<String> KNOWN = Set.of(PASSPHRASE_ENV, PUBLIC_KEY, SECRET_KEY, RECIPIENT, MODE, CIPHER,
      RECIPIENT_KEY_ID);
  private static final Set<String> INLINE_SECRETS = Set.of("passphrase", "password");

  /** Creates the provider (for {@link java.util.ServiceLoader}). */
  public PgpTransformProvider() {}

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
    return "pgp: OpenPGP AES-256 with MDC, readable by gpg --decrypt; passphraseEnv= (or secret pgp.passphrase),"
        + " publicKey= to encrypt, secretKey= + passphraseEnv= to restore";
  }

  @Override
  public Transform create(Map<String, String> parameters, ProviderContext context) {
    for (String name : parameters.keySet()) {
      if (INLINE_SECRETS.contains(name)) {
        throw new ConfigurationException("pgp: option '" + name + "' would put a passphrase on a command line or in a"
            + " config file; use passphraseEnv=NAME or the secret " + SECRET_PASSPHRASE);
      }
      if (!KNOWN.contains(name)) {
        throw new ConfigurationException("pgp: unknown option '" + name + "'; known options: " + new TreeSet<>(KNOWN));
      }
    }
    @Nullable Secret passphrase = null;
    String env = value(parameters, PASSPHRASE_ENV);
    if (env != null) {
      passphrase = Secret.of(context.environment(env).orElseThrow(() -> new ConfigurationException(
          "pgp: passphraseEnv names the environment variable " + env + ", which is not set")));
    } else {
      passphrase = context.secret(SECRET_PASSPHRASE).orElse(null);
    }
    if (passphrase != null && passphrase.length() == 0) {
      throw new ConfigurationException("pgp: the passphrase is empty");
    }
    Path publicKey = path(parameters, PUBLIC_KEY);
    Path secretKey = path(parameters, SECRET_KEY);
    String recipient = value(parameters, RECIPIENT);
    return new PgpTransform(passphrase, publicKey, recipient, secretKey);
  }

  private static @Nullable String value(Map<String, String> p, String name) {
    String v = p.get(name);
    return v == null || v.isBlank() ? null : v.strip();
  }

  private static @Nullable Path path(Map<String, String> p, String name) {
    String v = value(p, name);
    if (v == null) {
      return null;
    }
    Path path = Path.of(v);
    if (!Files.isRegularFile(path)) {
      throw new NotFoundException("pgp: " + name + " " + path + " does not exist or is not a file");
    }
    return path;
  }
}
