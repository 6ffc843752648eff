package io.backup4j.storage.s3;

import io.backup4j.api.BackupSink;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.Redaction;
import io.backup4j.api.Secret;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.SinkProvider;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;

/**
 * The {@code s3} sink provider: {@code s3://bucket/prefix?option=value&...}. Options may be given as query parameters
 * or in the options map (which wins). See {@code docs/s3.md} for the full list; in short:
 *
 * <ul>
 *   <li>{@code region}, {@code endpoint}, {@code pathStyle}, {@code checksums} ({@code when_supported} default,
 *       {@code when_required} for S3-compatible servers), {@code profile}
 *   <li>credentials: {@code accessKey}, {@code secretKey}, {@code sessionToken} (sensitive), or the secrets
 *       {@code s3.accessKey}, {@code s3.secretKey}, {@code s3.sessionToken} of the {@link ProviderContext}, or else
 *       the SDK default chain (environment, profile, container and instance roles)
 *   <li>{@code storageClass}, {@code smallObjectThreshold}, {@code sse} ({@code aes256}, {@code kms}, {@code c}),
 *       {@code kmsKeyId}, {@code sseCustomerKey} (sensitive, or secret {@code s3.sseCustomerKey})
 *   <li>{@code partSize}, {@code maxPartSize}, {@code maxParts}, {@code concurrency}, {@code memoryBuffer}
 *   <li>{@code conditionalWrites} ({@code auto}, {@code true}, {@code false}), {@code objectLockMode}
 *       ({@code governance}, {@code compliance}) with {@code objectLockRetention} ({@code 30d})
 *   <li>{@code maxAttempts}, {@code retryBaseDelay}, {@code retryMaxDelay}, {@code listPageSize}, {@code createBucket},
 *       {@code cleanupAfter} (abort multipart uploads older than this when opening for a backup)
 * </ul>
 */
public final class S3SinkProvider implements SinkProvider {
  static final Set<String> SENSITIVE = Set.of("accessKey", "secretKey", "sessionToken", "sseCustomerKey");
  static final Set<String> OPTIONS = Set.of(
      "region", "endpoint", "pathStyle", "checksums", "profile", "accessKey", "secretKey", "sessionToken",
      "storageClass", "smallObjectThreshold", "sse", "kmsKeyId", "sseCustomerKey", "partSize", "maxPartSize",
      "maxParts", "concurrency", "memoryBuffer", "conditionalWrites", "objectLockMode", "objectLockRetention",
      "maxAttempts", "retryBaseDelay", "retryMaxDelay", "listPageSize", "createBucket", "cleanupAfter");

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public S3SinkProvider() {}

  @Override
  public String name() {
    return "s3";
  }

  @Override
  public Set<String> sensitiveOptions() {
    return SENSITIVE;
  }

  @Override
  public String description() {
    return "s3: Amazon S3 or an S3-compatible store, s3://bucket/prefix?region=&endpoint=&pathStyle=true"
        + "&checksums=when_required&storageClass=&sse=&partSize=&concurrency=&maxParts=";
  }

  @Override
  public BackupSink open(URI location, Map<String, String> options, boolean create, ProviderContext context) {
    if (!"s3".equalsIgnoreCase(location.getScheme())) {
      throw new ConfigurationException("not an s3: URI: " + Redaction.redact(location.toString()));
    }
    if (location.getRawUserInfo() != null) {
      throw new ConfigurationException("s3: URIs must not carry credentials (s3://" + "****@...); pass accessKey and"
          + " secretKey as options or secrets, or use the AWS default credential chain");
    }
    String bucket = location.getAuthority();
    if (bucket == null || bucket.isEmpty()) {
      throw new ConfigurationException("missing bucket in " + Redaction.redact(location.toString())
          + "; use s3://bucket/prefix");
    }
    Map<String, String> fromUri = query(location);
    for (String name : SENSITIVE) {
      if (fromUri.containsKey(name)) {
        throw new ConfigurationException(name + " must not be part of the s3: URI (URIs end up in logs, manifests and"
            + " shell history); pass it as an option or a secret (s3." + name + "), or use the AWS default credential"
            + " chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, instance roles)");
      }
    }
    Map<String, String> o = new LinkedHashMap<>(fromUri);
    o.putAll(options);
    Set<String> unknown = new TreeSet<>(o.keySet());
    unknown.removeAll(OPTIONS);
    if (!unknown.isEmpty()) {
      throw new ConfigurationException("unknown s3 option(s) " + unknown + "; known: " + new TreeSet<>(OPTIONS));
    }
    S3Sink.Builder b = S3Sink.builder(bucket).create(create).temporaryDirectory(context.temporaryDirectory());
    String path = location.getPath();
    if (path != null && !path.isEmpty()) {
      b.prefix(path);
    }
    String region = o.get("region");
    if (region == null) {
      region = context.environment("AWS_REGION").or(() -> context.environment("AWS_DEFAULT_REGION")).orElse(null);
    }
    if (region != null) {
      b.region(region);
    }
    if (o.containsKey("endpoint")) {
      try {
        b.endpoint(URI.create(o.get("endpoint")));
      } catch (IllegalArgumentException e) {
        throw new ConfigurationException("endpoint='" + Redaction.redact(o.get("endpoint")) + "' is not a URL");
      }
    }
    ifSet(o, "pathStyle", v -> b.pathStyle(Settings.bool("pathStyle", v)));
    ifSet(o, "checksums", v -> b.checksums(switch (v.toLowerCase(Locale.ROOT).replace('-', '_')) {
      case "when_supported", "default", "sdk" -> S3Sink.ChecksumMode.WHEN_SUPPORTED;
      case "when_required", "minimal" -> S3Sink.ChecksumMode.WHEN_REQUIRED;
      default -> throw new ConfigurationException("checksums='" + v + "' must be when_supported or when_required");
    }));
    ifSet(o, "profile", b::profile);

    // explicit options, then the application's secrets, then the environment the application supplied; the SDK's
    // default chain (which reads the real process environment, profiles and instance roles) comes last
    Optional<String> accessKey = Optional.ofNullable(o.get("accessKey"))
        .or(() -> context.secret("s3.accessKey").map(s -> new String(s.reveal())));
    Optional<Secret> secretKey = Optional.ofNullable(o.get("secretKey")).map(Secret::of)
        .or(() -> context.secret("s3.secretKey"));
    Optional<Secret> sessionToken = Optional.ofNullable(o.get("sessionToken")).map(Secret::of)
        .or(() -> context.secret("s3.sessionToken"));
    if (accessKey.isEmpty() && secretKey.isEmpty() && o.get("profile") == null) {
      Optional<String> envKey = context.environment("AWS_ACCESS_KEY_ID");
      Optional<String> envSecret = context.environment("AWS_SECRET_ACCESS_KEY");
      if (envKey.isPresent() && envSecret.isPresent()) {
        accessKey = envKey;
        secretKey = envSecret.map(Secret::of);
        sessionToken = context.environment("AWS_SESSION_TOKEN").map(Secret::of);
      }
    }
    if (accessKey.isPresent() != secretKey.isPresent()) {
      throw new ConfigurationException("give both accessKey and secretKey (options or secrets s3.accessKey and"
          + " s3.secretKey), or neither to use the AWS default credential chain");
    }
    if (accessKey.isPresent()) {
      b.credentials(accessKey.get(), secretKey.get(), sessionToken.orElse(null));
    }

    ifSet(o, "storageClass", b::storageClass);
    ifSet(o, "smallObjectThreshold", v -> b.smallObjectThreshold(Settings.size("smallObjectThreshold", v)));
    String sse = o.getOrDefault("sse", "none").toLowerCase(Locale.ROOT);
    switch (sse) {
      case "none", "" -> { }
      case "aes256", "s3", "sse-s3" -> b.sseS3();
      case "kms", "aws:kms", "sse-kms" -> b.sseKms(o.get("kmsKeyId"));
      case "c", "sse-c", "customer" -> b.sseCustomerKey(Optional.ofNullable(o.get("sseCustomerKey")).map(Secret::of)
          .or(() -> context.secret("s3.sseCustomerKey"))
          .orElseThrow(() -> new ConfigurationException("sse=c needs sseCustomerKey (a base64 32-byte key) as an"
              + " option or as the secret s3.sseCustomerKey")));
      default -> throw new ConfigurationException("sse='" + sse + "' must be none, aes256, kms or c");
    }
    if (o.containsKey("kmsKeyId") && !sse.contains("kms")) {
      throw new ConfigurationException("kmsKeyId is only used with sse=kms");
    }
    if (o.containsKey("sseCustomerKey") && !(sse.equals("c") || sse.equals("sse-c") || sse.equals("customer"))) {
      throw new ConfigurationException("sseCustomerKey is only used with sse=c");
    }
    ifSet(o, "partSize", v -> b.partSize(Settings.size("partSize", v)));
    ifSet(o, "maxPartSize", v -> b.maxPartSize(Settings.size("maxPartSize", v)));
    ifSet(o, "maxParts", v -> b.maxParts(Settings.integer("maxParts", v, 1, 10_000)));
    ifSet(o, "concurrency", v -> b.concurrency(Settings.integer("concurrency", v, 1, 64)));
    ifSet(o, "memoryBuffer", v -> b.memoryBuffer(Settings.size("memoryBuffer", v)));
    ifSet(o, "conditionalWrites", v -> b.conditionalWrites(switch (v.toLowerCase(Locale.ROOT)) {
      case "auto" -> S3Sink.ConditionalWrites.AUTO;
      case "true", "on", "yes" -> S3Sink.ConditionalWrites.ON;
      case "false", "off", "no" -> S3Sink.ConditionalWrites.OFF;
      default -> throw new ConfigurationException("conditionalWrites='" + v + "' must be auto, true or false");
    }));
    String lockMode = o.get("objectLockMode");
    String lockRetention = o.get("objectLockRetention");
    if ((lockMode == null) != (lockRetention == null)) {
      throw new ConfigurationException("Object Lock needs both objectLockMode (governance or compliance) and"
          + " objectLockRetention (e.g. 30d)");
    }
    if (lockMode != null) {
      ObjectLockMode mode = switch (lockMode.toLowerCase(Locale.ROOT)) {
        case "governance" -> ObjectLockMode.GOVERNANCE;
        case "compliance" -> ObjectLockMode.COMPLIANCE;
        default -> throw new ConfigurationException("objectLockMode='" + lockMode
            + "' must be governance or compliance");
      };
      b.objectLock(mode, Settings.duration("objectLockRetention", lockRetention));
    }
    ifSet(o, "maxAttempts", v -> b.maxAttempts(Settings.integer("maxAttempts", v, 1, 100)));
    if (o.containsKey("retryBaseDelay") || o.containsKey("retryMaxDelay")) {
      b.retryBackoff(Settings.duration("retryBaseDelay", o.getOrDefault("retryBaseDelay", "200ms")),
          Settings.duration("retryMaxDelay", o.getOrDefault("retryMaxDelay", "20s")));
    }
    ifSet(o, "listPageSize", v -> b.listPageSize(Settings.integer("listPageSize", v, 1, 1000)));
    ifSet(o, "createBucket", v -> b.createBucket(Settings.bool("createBucket", v)));
    ifSet(o, "cleanupAfter", v -> b.cleanupAfter(Settings.duration("cleanupAfter", v)));
    return b.build();
  }

  private static void ifSet(Map<String, String> o, String name, java.util.function.Consumer<String> action) {
    String v = o.get(name);
    if (v != null) {
      action.accept(v);
    }
  }

  private static Map<String, String> query(URI uri) {
    Map<String, String> out = new LinkedHashMap<>();
    String q = uri.getRawQuery();
    if (q == null || q.isEmpty()) {
      return out;
    }
    for (String pair : q.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "true" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      if (out.put(k, v) != null) {
        throw new ConfigurationException("option " + k + " is given twice in the s3: URI");
      }
    }
    return out;
  }
}
