package io.backup4j.postgres;

import io.backup4j.api.ConfigurationException;
import io.backup4j.api.Secret;
import io.backup4j.api.spi.ProviderContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/** Resolves the password from its possible sources, in a fixed and documented order. */
final class Credentials {
  private Credentials() {}

  /**
   * The first password found among: the URI, the {@code password} option, the file named by the
   * {@code passwordFile} option (first line), the supplier given to a builder, the secret {@code postgres.password}
   * of the provider context, and the {@code PGPASSWORD} environment variable. {@code null} leaves it to libpq's own
   * {@code ~/.pgpass} (or {@code PGPASSFILE}) and to trust/peer/certificate authentication.
   */
  static @Nullable Secret resolve(ConnectionSpec spec, Options options, @Nullable Supplier<char[]> supplier,
      @Nullable ProviderContext context) {
    if (spec.password() != null) {
      return spec.password();
    }
    String pw = options.string("password");
    if (pw != null) {
      return Secret.of(pw);
    }
    Path file = options.path("passwordFile");
    if (file != null) {
      try {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int nl = text.indexOf('\n');
        String first = (nl < 0 ? text : text.substring(0, nl)).replace("\r", "");
        return Secret.of(first);
      } catch (IOException e) {
        throw new ConfigurationException("cannot read the passwordFile " + file + ": " + e.getMessage(), e);
      }
    }
    if (supplier != null) {
      char[] chars = supplier.get();
      if (chars != null) {
        try {
          return Secret.of(chars);
        } finally {
          Arrays.fill(chars, '\0');
        }
      }
    }
    if (context != null) {
      var s = context.secret("postgres.password");
      if (s.isPresent()) {
        return s.get();
      }
      var env = context.environment("PGPASSWORD");
      if (env.isPresent() && !env.get().isEmpty()) {
        return Secret.of(env.get());
      }
      return null;
    }
    String env = System.getenv("PGPASSWORD");
    return env == null || env.isEmpty() ? null : Secret.of(env);
  }
}
