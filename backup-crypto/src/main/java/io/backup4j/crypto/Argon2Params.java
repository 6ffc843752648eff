package io.backup4j.crypto;

import io.backup4j.api.ConfigurationException;
import io.backup4j.api.IntegrityException;
import io.backup4j.api.Secret;
import java.util.Arrays;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id (version 0x13) parameters that stretch a passphrase into a 256-bit master key; all of them are recorded
 * in the stream header, so a restore needs only the passphrase.
 *
 * @param memoryKiB memory in KiB (RFC 9106 calls it m)
 * @param iterations passes over memory (t)
 * @param parallelism lanes (p)
 * @param salt 16 random bytes
 */
record Argon2Params(int memoryKiB, int iterations, int parallelism, byte[] salt) {
  /** RFC 9106 §4 second recommended option: 64 MiB, 3 passes, 4 lanes. */
  static final int DEFAULT_MEMORY_KIB = 64 * 1024;
  static final int DEFAULT_ITERATIONS = 3;
  static final int DEFAULT_PARALLELISM = 4;
  static final int SALT_LENGTH = 16;
  /** A header may not make a restore allocate more than this (a damaged or hostile header is not a memory bomb). */
  static final int MAX_MEMORY_KIB = 4 * 1024 * 1024;
  static final int MAX_ITERATIONS = 64;
  static final int MAX_PARALLELISM = 64;

  Argon2Params {
    salt = salt.clone();
  }

  @Override
  public byte[] salt() {
    return salt.clone();
  }

  /** Validates user-supplied parameters. */
  static Argon2Params checked(int memoryKiB, int iterations, int parallelism, byte[] salt) {
    if (parallelism < 1 || parallelism > MAX_PARALLELISM) {
      throw new ConfigurationException("aes-gcm: argon2Parallelism must be 1.." + MAX_PARALLELISM + ", got " + parallelism);
    }
    if (memoryKiB < 8 * parallelism || memoryKiB > MAX_MEMORY_KIB) {
      throw new ConfigurationException("aes-gcm: argon2MemoryKiB must be " + (8 * parallelism) + ".." + MAX_MEMORY_KIB
          + " (8 KiB per lane at least), got " + memoryKiB);
    }
    if (iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new ConfigurationException("aes-gcm: argon2Iterations must be 1.." + MAX_ITERATIONS + ", got " + iterations);
    }
    return new Argon2Params(memoryKiB, iterations, parallelism, salt);
  }

  /** Validates parameters read from a header: a value out of range means damage, not a user error. */
  static Argon2Params fromHeader(int memoryKiB, int iterations, int parallelism, byte[] salt) {
    if (parallelism < 1 || parallelism > MAX_PARALLELISM || memoryKiB < 8 * parallelism
        || memoryKiB > MAX_MEMORY_KIB || iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new IntegrityException("aes-gcm header holds out-of-range Argon2id parameters (m=" + memoryKiB + " KiB, t="
          + iterations + ", p=" + parallelism + "): the stream is damaged or not a backup4j stream");
    }
    return new Argon2Params(memoryKiB, iterations, parallelism, salt);
  }

  /** Stretches the passphrase into a 32-byte master key. The caller wipes the result. */
  byte[] derive(Secret passphrase) {
    // BouncyCastle allocates all m KiB on the heap: refuse clearly instead of dying with an OutOfMemoryError
    long needed = memoryKiB * 1024L + (16L << 20);
    long available = Runtime.getRuntime().maxMemory();
    if (available != Long.MAX_VALUE && needed > available / 2) {
      throw new ConfigurationException("aes-gcm: Argon2id with " + memoryKiB / 1024 + " MiB needs a larger heap than"
          + " this JVM has (max " + available / (1024 * 1024) + " MiB); raise -Xmx to at least "
          + (2 * needed) / (1024 * 1024) + " MiB");
    }
    byte[] pw = passphrase.revealBytes();
    try {
      Argon2BytesGenerator gen = new Argon2BytesGenerator();
      gen.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
          .withVersion(Argon2Parameters.ARGON2_VERSION_13)
          .withMemoryAsKB(memoryKiB)
          .withIterations(iterations)
          .withParallelism(parallelism)
          .withSalt(salt)
          .build());
      byte[] out = new byte[32];
      gen.generateBytes(pw, out);
      return out;
    } finally {
      Arrays.fill(pw, (byte) 0);
    }
  }

  /** Equality by value (the salt is an array). */
  boolean sameAs(Argon2Params o) {
    return memoryKiB == o.memoryKiB && iterations == o.iterations && parallelism == o.parallelism
        && Arrays.equals(salt, o.salt);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Argon2Params p && sameAs(p);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * (31 * memoryKiB + iterations) + parallelism) + Arrays.hashCode(salt);
  }

  @Override
  public String toString() {
    return "Argon2id(m=" + memoryKiB + " KiB, t=" + iterations + ", p=" + parallelism + ")";
  }
}
