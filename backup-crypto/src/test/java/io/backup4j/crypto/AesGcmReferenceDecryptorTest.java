package io.backup4j.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.backup4j.api.Transform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the Python reference decryptor printed in docs/encryption-format.md against our output, so the document stays
 * precise enough to write a decryptor from.
 */
class AesGcmReferenceDecryptorTest {
  static final Path DOC = Path.of("..", "docs", "encryption-format.md");
  static boolean python;
  static boolean pythonArgon2;

  @TempDir Path dir;

  @BeforeAll
  static void checkPython() throws Exception {
    python = pythonCan("import cryptography.hazmat.primitives.ciphers.aead");
    pythonArgon2 = pythonCan("import cryptography.hazmat.primitives.kdf.argon2");
    if (!python) {
      System.err.println("SKIPPING the reference-decryptor test: python3 with the 'cryptography' package is not"
          + " installed (Debian: python3-cryptography)");
    } else if (!pythonArgon2) {
      System.err.println("SKIPPING the passphrase half of the reference-decryptor test: python3 'cryptography' < 44"
          + " has no Argon2id (pip install 'cryptography>=44')");
    }
  }

  static boolean pythonCan(String code) throws InterruptedException {
    try {
      Process p = new ProcessBuilder("python3", "-c", code).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    }
  }

  String script() throws IOException {
    String doc = Files.readString(DOC);
    int start = doc.indexOf("```python\n") + "```python\n".length();
    int end = doc.indexOf("```", start);
    return doc.substring(start, end) + """

        import os, sys
        with open(sys.argv[1], "rb") as f:
            key = bytes.fromhex(sys.argv[2]) if sys.argv[2] != "-" else None
            pw = os.environ["REF_PASSPHRASE"].encode() if "REF_PASSPHRASE" in os.environ else None
            data = b"".join(decrypt(f, master_key=key, passphrase=pw))
        sys.stdout.buffer.write(data)
        """;
  }

  /** Key material goes through the environment, never argv (this test's key is public anyway). */
  byte[] runReference(Path sealed, String keyHex, @org.jspecify.annotations.Nullable String passphrase) throws Exception {
    Path py = dir.resolve("ref.py");
    Files.writeString(py, script());
    Path out = dir.resolve("out");
    List<String> cmd = new java.util.ArrayList<>(List.of("python3", py.toString(), sealed.toString()));
    cmd.add(keyHex);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    if (passphrase != null) {
      pb.environment().put("REF_PASSPHRASE", passphrase);
    }
    Process p = pb.redirectOutput(out.toFile()).redirectError(dir.resolve("err").toFile()).start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(dir.resolve("err"))).isZero();
    return Files.readAllBytes(out);
  }

  @Test
  void documentedDecryptorReadsRawKeyAndPassphraseStreams() throws Exception {
    assumeTrue(python, "SKIPPED: python3 with 'cryptography' is not installed");
    for (int size : new int[] {0, 1, 4096, 3 * 4096 + 5}) {
      byte[] plain = Streams.random(size, size);
      Transform raw = new AesGcmTransformProvider().create(Map.of("keyEnv", "K", "segmentSize", "4096"),
          new TestContext(dir).env("K", AesGcmRoundTripTest.KEY_HEX));
      Path a = dir.resolve("raw" + size);
      Files.write(a, Streams.encode(raw, plain));
      assertThat(runReference(a, AesGcmRoundTripTest.KEY_HEX, null)).isEqualTo(plain);

      if (!pythonArgon2) {
        continue;
      }
      Transform pass = new AesGcmTransformProvider().create(Map.of("passphraseEnv", "P", "segmentSize", "4096",
          "argon2MemoryKiB", "1024", "argon2Iterations", "2", "argon2Parallelism", "2"),
          new TestContext(dir).env("P", "pass phrase"));
      Path b = dir.resolve("pass" + size);
      Files.write(b, Streams.encode(pass, plain));
      assertThat(runReference(b, "-", "pass phrase")).isEqualTo(plain);
    }
  }
}
