/**
 * Encryption transforms: {@code aes-gcm} (segmented AES-256-GCM streaming AEAD, see {@code docs/encryption-format.md})
 * and {@code pgp} (OpenPGP, readable by {@code gpg --decrypt}).
 *
 * <p>Key material is held in {@link io.backup4j.api.Secret}s or private byte arrays that are wiped after use; it never
 * reaches a manifest, a {@code toString()}, a log line or an exception message.
 */
@NullMarked
package io.backup4j.crypto;

import org.jspecify.annotations.NullMarked;
