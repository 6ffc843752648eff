package io.backup4j.crypto;

import io.backup4j.api.Transform;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Random;

/** Helpers shared by the crypto tests. */
final class Streams {
  private Streams() {}

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Text-like, compressible data: repeated CSV-ish rows. */
  static byte[] structured(int n) {
    StringBuilder sb = new StringBuilder(n + 100);
    int i = 0;
    while (sb.length() < n) {
      sb.append(i).append(",2026-11-25T08:").append(i % 60).append(",user").append(i % 97).append(",42.").append(i % 100)
          .append('\n');
      i++;
    }
    return sb.substring(0, n).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  static byte[] encode(Transform t, byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream enc = t.encode(out)) {
      enc.write(plain);
    }
    return out.toByteArray();
  }

  static byte[] encodeByteByByte(Transform t, byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream enc = t.encode(out)) {
      for (byte b : plain) {
        enc.write(b);
      }
    }
    return out.toByteArray();
  }

  static byte[] decode(Transform t, byte[] sealed) throws IOException {
    try (InputStream in = t.decode(new ByteArrayInputStream(sealed))) {
      return in.readAllBytes();
    }
  }

  static byte[] decodeByteByByte(Transform t, byte[] sealed) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = t.decode(new ByteArrayInputStream(sealed))) {
      int b;
      while ((b = in.read()) >= 0) {
        out.write(b);
      }
    }
    return out.toByteArray();
  }

  /** What a decoder released before it threw; the exception is in {@link Released#failure}. */
  record Released(byte[] bytes, Throwable failure) {}

  static Released decodeUntilFailure(Transform t, byte[] sealed) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = t.decode(new ByteArrayInputStream(sealed))) {
      byte[] buf = new byte[1000];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
      }
    } catch (Throwable e) {
      return new Released(out.toByteArray(), e);
    }
    throw new AssertionError("decoding succeeded (" + out.size() + " bytes) but must fail");
  }

  static Path privateFile(Path dir, String name, byte[] content) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, content);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    return p;
  }
}
