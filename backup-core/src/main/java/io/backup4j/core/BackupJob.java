package io.backup4j.core;

import io.backup4j.api.BackupSource;
import io.backup4j.api.Cancellation;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.RetentionPolicy;
import io.backup4j.api.Transform;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * What one backup run does: which source, through which transforms, with which labels, into which backup set, and
 * which retention to apply afterwards. Immutable; build with {@link #builder()}.
 *
 * <pre>{@code
 * BackupJob job = BackupJob.builder()
 *     .source("files:/srv/media")
 *     .transform("zstd", Map.of("level", "3"))
 *     .label("env", "prod")
 *     .build();
 * }</pre>
 */
public final class BackupJob {
  private static final Pattern SET_NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

  /** A transform named by provider and parameters, or given as an instance. */
  public record TransformRef(String name, Map<String, String> parameters, @Nullable Transform instance) {
    /** Copies the parameters. */
    public TransformRef {
      Objects.requireNonNull(name, "name is null");
      parameters = Collections.unmodifiableMap(new TreeMap<>(parameters));
    }

    /** Masks the values of parameters that hold key material ({@code key=}, {@code passphrase=}). */
    @Override
    public String toString() {
      Map<String, String> shown = new TreeMap<>();
      parameters.forEach((k, v) -> shown.put(k, io.backup4j.api.Redaction.isSensitiveName(k) ? "****" : v));
      return "TransformRef[name=" + name + ", parameters=" + shown + (instance != null ? ", instance" : "") + "]";
    }
  }

  private final @Nullable String sourceUri;
  private final @Nullable BackupSource source;
  private final Map<String, String> sourceOptions;
  private final List<TransformRef> transforms;
  private final Map<String, String> labels;
  private final @Nullable String backupSet;
  private final @Nullable RetentionPolicy retention;
  private final boolean verifyAfterBackup;
  private final Cancellation cancellation;
  private final long sourceBytesPerSecond;
  private final long sinkBytesPerSecond;

  private BackupJob(Builder b) {
    this.sourceBytesPerSecond = b.sourceBytesPerSecond;
    this.sinkBytesPerSecond = b.sinkBytesPerSecond;
    if ((b.sourceUri == null) == (b.source == null)) {
      throw new ConfigurationException("a backup job needs exactly one source: call source(uri) or source(BackupSource)");
    }
    this.sourceUri = b.sourceUri;
    this.source = b.source;
    this.sourceOptions = Collections.unmodifiableMap(new LinkedHashMap<>(b.sourceOptions));
    this.transforms = List.copyOf(b.transforms);
    this.labels = Collections.unmodifiableMap(new TreeMap<>(b.labels));
    this.backupSet = b.backupSet;
    this.retention = b.retention;
    this.verifyAfterBackup = b.verifyAfterBackup;
    this.cancellation = b.cancellation;
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The source URI, if the source is given by URI. */
  public Optional<String> sourceUri() {
    return Optional.ofNullable(sourceUri);
  }

  /** The source instance, if given directly. */
  public Optional<BackupSource> source() {
    return Optional.ofNullable(source);
  }

  /** Options for the source provider. */
  public Map<String, String> sourceOptions() {
    return sourceOptions;
  }

  /** The transforms, in encoding order. */
  public List<TransformRef> transforms() {
    return transforms;
  }

  /** User labels recorded in the manifest. */
  public Map<String, String> labels() {
    return labels;
  }

  /** The backup set, if set explicitly; otherwise derived from the source's kind and identity. */
  public Optional<String> backupSet() {
    return Optional.ofNullable(backupSet);
  }

  /** The retention policy applied after a successful backup, if any. */
  public Optional<RetentionPolicy> retention() {
    return Optional.ofNullable(retention);
  }

  /** Whether the new backup is read back and verified before the run reports success and before retention. */
  public boolean verifyAfterBackup() {
    return verifyAfterBackup;
  }

  /** The cancellation signal of this run. */
  public Cancellation cancellation() {
    return cancellation;
  }

  /** Upper bound of raw bytes per second read from the source over all parts, or 0 for no limit. */
  public long sourceBytesPerSecond() {
    return sourceBytesPerSecond;
  }

  /** Upper bound of stored bytes per second written to the repository over all parts, or 0 for no limit. */
  public long sinkBytesPerSecond() {
    return sinkBytesPerSecond;
  }

  /** A builder initialised from this job, to derive a variant. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.sourceUri = sourceUri;
    b.source = source;
    b.sourceOptions.putAll(sourceOptions);
    b.transforms.addAll(transforms);
    b.labels.putAll(labels);
    b.backupSet = backupSet;
    b.retention = retention;
    b.verifyAfterBackup = verifyAfterBackup;
    b.cancellation = cancellation;
    b.sourceBytesPerSecond = sourceBytesPerSecond;
    b.sinkBytesPerSecond = sinkBytesPerSecond;
    return b;
  }

  /** Builds {@link BackupJob}s. */
  public static final class Builder {
    private @Nullable String sourceUri;
    private @Nullable BackupSource source;
    private final Map<String, String> sourceOptions = new LinkedHashMap<>();
    private final List<TransformRef> transforms = new ArrayList<>();
    private final Map<String, String> labels = new TreeMap<>();
    private @Nullable String backupSet;
    private @Nullable RetentionPolicy retention;
    private boolean verifyAfterBackup;
    private Cancellation cancellation = new Cancellation();
    private long sourceBytesPerSecond;
    private long sinkBytesPerSecond;

    private Builder() {}

    /**
     * Limits how fast the source is read (raw bytes per second over all parts; 0 = unlimited), to spare a busy
     * database.
     */
    public Builder sourceBytesPerSecond(long limit) {
      if (limit < 0) {
        throw new ConfigurationException("source rate limit must be >= 0, was " + limit);
      }
      this.sourceBytesPerSecond = limit;
      return this;
    }

    /** Limits how fast the repository is written (stored bytes per second over all parts; 0 = unlimited). */
    public Builder sinkBytesPerSecond(long limit) {
      if (limit < 0) {
        throw new ConfigurationException("storage rate limit must be >= 0, was " + limit);
      }
      this.sinkBytesPerSecond = limit;
      return this;
    }

    /** The source by URI, e.g. {@code files:/srv/media}; the provider is found by the URI's scheme. */
    public Builder source(String uri) {
      this.sourceUri = Objects.requireNonNull(uri, "uri is null");
      this.source = null;
      return this;
    }

    /** The source as an instance (for sources the application builds itself). */
    public Builder source(BackupSource source) {
      this.source = Objects.requireNonNull(source, "source is null");
      this.sourceUri = null;
      return this;
    }

    /** An option for the source provider. */
    public Builder sourceOption(String key, String value) {
      sourceOptions.put(Objects.requireNonNull(key, "key is null"), Objects.requireNonNull(value, "value is null"));
      return this;
    }

    /** Appends a transform found by provider name. */
    public Builder transform(String name) {
      return transform(name, Map.of());
    }

    /** Appends a transform found by provider name, with parameters. */
    public Builder transform(String name, Map<String, String> parameters) {
      transforms.add(new TransformRef(name, parameters, null));
      return this;
    }

    /** Appends a transform instance. */
    public Builder transform(Transform transform) {
      transforms.add(new TransformRef(transform.name(), Map.of(), transform));
      return this;
    }

    /** Adds a label recorded in the manifest. */
    public Builder label(String key, String value) {
      labels.put(Objects.requireNonNull(key, "key is null"), Objects.requireNonNull(value, "value is null"));
      return this;
    }

    /**
     * Names the backup set: 1-64 characters of {@code [a-z0-9._-]}. Backups of one set share a lock and a
     * retention policy.
     */
    public Builder backupSet(String name) {
      if (!SET_NAME.matcher(name).matches() || name.contains("..")) {
        throw new ConfigurationException("invalid backup set name '" + name
            + "': use 1-64 characters of lower-case letters, digits, '.', '_' and '-'");
      }
      this.backupSet = name;
      return this;
    }

    /** A retention policy applied to the backup set after a successful backup. */
    public Builder retention(RetentionPolicy policy) {
      this.retention = Objects.requireNonNull(policy, "policy is null");
      return this;
    }

    /** Read the new backup back and verify every part before reporting success. */
    public Builder verifyAfterBackup(boolean verify) {
      this.verifyAfterBackup = verify;
      return this;
    }

    /** The cancellation signal for this run. */
    public Builder cancellation(Cancellation cancellation) {
      this.cancellation = Objects.requireNonNull(cancellation, "cancellation is null");
      return this;
    }

    /** Builds the job. */
    public BackupJob build() {
      return new BackupJob(this);
    }
  }
}
