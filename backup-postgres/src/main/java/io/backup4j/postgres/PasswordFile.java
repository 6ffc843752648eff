package io.backup4j.postgres;

import io.backup4j.api.Secret;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;

/**
 * A private {@code PGPASSFILE} (mode 0600 from creation, never world-readable for an instant) holding one wildcard
 * line {@code *:*:*:*:<password>}, so the password reaches libpq without appearing in argv (visible in {@code ps}) or
 * in a log. Deleted on close.
 *
 * <pre>
 * file := "*:*:*:*:" escaped-password "\n"      (escaped: '\' → '\\', ':' → '\:')
 * </pre>
 */
final class PasswordFile implements AutoCloseable {
  private final Path path;

  private PasswordFile(Path path) {
    this.path = path;
  }

  static PasswordFile create(Path dir, Secret password) throws IOException {
    Path p = Files.createTempFile(dir, "pgpass-", "", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-------")));
    char[] chars = password.reveal();
    try {
      StringBuilder b = new StringBuilder("*:*:*:*:");
      for (char c : chars) {
        if (c == '\\' || c == ':') {
          b.append('\\');
        }
        if (c == '\n' || c == '\r') {
          Files.deleteIfExists(p);
          throw new io.backup4j.api.ConfigurationException("the PostgreSQL password contains a line break,"
              + " which libpq's password file cannot hold");
        }
        b.append(c);
      }
      b.append('\n');
      ByteBuffer bytes = StandardCharsets.UTF_8.encode(CharBuffer.wrap(b));
      try (OutputStream out = Files.newOutputStream(p)) {
        byte[] arr = new byte[bytes.remaining()];
        bytes.get(arr);
        out.write(arr);
        Arrays.fill(arr, (byte) 0);
      }
      b.setLength(0);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(p);
      throw e;
    } finally {
      Arrays.fill(chars, '\0');
    }
    return new PasswordFile(p);
  }

  Path path() {
    return path;
  }

  @Override
  public void close() throws IOException {
    Files.deleteIfExists(path);
  }
}
