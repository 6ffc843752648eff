package io.backup4j.redis;

import io.backup4j.api.ConfigurationException;
import io.backup4j.api.Redaction;
import io.backup4j.api.Secret;
import io.backup4j.api.spi.ProviderContext;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Where and how to connect to one Redis server: parsed from {@code redis://[[user]:password@]host[:port][/db]} or
 * {@code rediss://...} (TLS), the connection options and the context's secrets. {@link #toString()} and
 * {@link #describe()} never contain the password.
 */
final class RedisEndpoint {
  static final String SECRET_PASSWORD = "redis.password";
  static final String SECRET_TRUST_STORE_PASSWORD = "redis.trustStorePassword";

  /** The connection options shared by sources and live targets. */
  static final Set<String> CONNECTION_OPTIONS = Set.of(
      "user", "timeoutSeconds", "trustStore", "trustStoreType", "trustStorePassword", "tlsVerifyHostname");

  final String host;
  final int port;
  final boolean tls;
  final @Nullable String user;
  final @Nullable Secret password;
  /** The database number in the URI path, if there was one. */
  final OptionalInt database;
  final Duration timeout;
  final @Nullable Path trustStore;
  final String trustStoreType;
  final @Nullable Secret trustStorePassword;
  final boolean verifyHostname;

  private RedisEndpoint(String host, int port, boolean tls, @Nullable String user, @Nullable Secret password,
      OptionalInt database, Duration timeout, @Nullable Path trustStore, String trustStoreType,
      @Nullable Secret trustStorePassword, boolean verifyHostname) {
    this.host = host;
    this.port = port;
    this.tls = tls;
    this.user = user;
    this.password = password;
    this.database = database;
    this.timeout = timeout;
    this.trustStore = trustStore;
    this.trustStoreType = trustStoreType;
    this.trustStorePassword = trustStorePassword;
    this.verifyHostname = verifyHostname;
  }

  static RedisEndpoint parse(String text, Options options, ProviderContext context) {
    Objects.requireNonNull(text, "uri is null");
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new ConfigurationException("not a valid Redis URI: " + Redaction.redact(text)
          + "; expected redis://[[user]:password@]host[:port][/db] or rediss://...");
    }
    return parse(uri, options, context);
  }

  static RedisEndpoint parse(URI uri, Options options, ProviderContext context) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    String shown = Redaction.redact(uri.toString());
    if (!scheme.equals("redis") && !scheme.equals("rediss")) {
      throw new ConfigurationException("not a Redis URI: " + shown
          + "; expected redis://[[user]:password@]host[:port][/db] or rediss://... (TLS)");
    }
    String host = uri.getHost();
    if (host == null || host.isEmpty()) {
      throw new ConfigurationException("Redis URI " + shown + " has no host; expected redis://host:port");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort() < 0 ? 6379 : uri.getPort();
    if (uri.getQuery() != null || uri.getFragment() != null) {
      throw new ConfigurationException("Redis URI " + shown
          + " has a query or fragment; pass settings as options instead");
    }
    OptionalInt db = OptionalInt.empty();
    String path = uri.getPath();
    if (path != null && !path.isEmpty() && !path.equals("/")) {
      try {
        int n = Integer.parseInt(path.substring(1));
        if (n < 0) {
          throw new NumberFormatException();
        }
        db = OptionalInt.of(n);
      } catch (NumberFormatException e) {
        throw new ConfigurationException("Redis URI " + shown
            + " has path '" + path + "'; the only path allowed is a database number such as /0");
      }
    }
    String user = null;
    Secret password = null;
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      String u = colon < 0 ? userInfo : userInfo.substring(0, colon);
      // A bare word (redis://name@host) is a user name, never a password: the password then comes from the
      // context, so we do not guess which of the two a legacy URI meant.
      if (colon >= 0) {
        password = Secret.of(decodeUserInfo(userInfo.substring(colon + 1)));
      }
      u = decodeUserInfo(u);
      user = u.isEmpty() ? null : u;
    }
    String optUser = options.get("user");
    if (optUser != null) {
      if (user != null && !user.equals(optUser)) {
        throw new ConfigurationException("Redis user given twice, as '" + user + "' in the URI and as '" + optUser
            + "' in option user; give it once");
      }
      user = optUser;
    }
    if (password == null) {
      password = context.secret(SECRET_PASSWORD).orElse(null);
    }
    Duration timeout = Duration.ofSeconds(options.positiveLong("timeoutSeconds", 60));
    boolean tls = scheme.equals("rediss");
    String ts = options.get("trustStore");
    Path trustStore = ts == null ? null : Path.of(ts);
    if (trustStore != null && !tls) {
      throw new ConfigurationException("option trustStore is only used with rediss:// (TLS) URIs, not " + shown);
    }
    Secret tsPassword = Optional.ofNullable(options.get("trustStorePassword")).map(Secret::of)
        .or(() -> context.secret(SECRET_TRUST_STORE_PASSWORD)).orElse(null);
    String tsType = options.get("trustStoreType",
        ts != null && (ts.endsWith(".jks") || ts.endsWith(".JKS")) ? "JKS" : "PKCS12");
    return new RedisEndpoint(host, port, tls, user, password, db, timeout, trustStore, tsType, tsPassword,
        options.bool("tlsVerifyHostname", true));
  }

  /** Percent-decodes user-info; a '+' is itself there (RFC 3986), not a form-encoded space. */
  private static String decodeUserInfo(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** {@code redis://host:port} (or {@code rediss://}), with neither user nor password. */
  String describe() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return Redaction.redact((tls ? "rediss://" : "redis://") + h + ":" + port);
  }

  @Override
  public String toString() {
    return describe();
  }
}
