package io.backup4j.core;

import io.backup4j.api.Cancellation;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Where and how to restore a backup. The target is interpreted by the provider of the backup's kind: a directory
 * for {@code files}, a database URI for {@code postgres}, a server URI for {@code redis}.
 *
 * <pre>{@code
 * RestoreJob job = RestoreJob.builder("/srv/media-restored")
 *     .transformOption("aes-gcm", "keyFile", "/etc/backup4j/key")
 *     .build();
 * }</pre>
 */
public final class RestoreJob {
  private final String target;
  private final Map<String, String> targetOptions;
  private final Map<String, Map<String, String>> transformOptions;
  private final boolean verifyFirst;
  private final Cancellation cancellation;

  private RestoreJob(Builder b) {
    this.target = b.target;
    this.targetOptions = Collections.unmodifiableMap(new LinkedHashMap<>(b.targetOptions));
    Map<String, Map<String, String>> t = new TreeMap<>();
    b.transformOptions.forEach((k, v) -> t.put(k, Collections.unmodifiableMap(new TreeMap<>(v))));
    this.transformOptions = Collections.unmodifiableMap(t);
    this.verifyFirst = b.verifyFirst;
    this.cancellation = b.cancellation;
  }

  /** A builder restoring to {@code target}. */
  public static Builder builder(String target) {
    return new Builder(target);
  }

  /** Where to restore. */
  public String target() {
    return target;
  }

  /** Options for the target (e.g. {@code overwrite=true}). */
  public Map<String, String> targetOptions() {
    return targetOptions;
  }

  /** Extra parameters per transform name, merged over the recorded ones (how keys reach decryption). */
  public Map<String, Map<String, String>> transformOptions() {
    return transformOptions;
  }

  /** Whether every part is verified in full before the target receives any byte. */
  public boolean verifyFirst() {
    return verifyFirst;
  }

  /** The cancellation signal of this run. */
  public Cancellation cancellation() {
    return cancellation;
  }

  /** Builds {@link RestoreJob}s. */
  public static final class Builder {
    private final String target;
    private final Map<String, String> targetOptions = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> transformOptions = new TreeMap<>();
    private boolean verifyFirst;
    private Cancellation cancellation = new Cancellation();

    private Builder(String target) {
      this.target = Objects.requireNonNull(target, "target is null");
    }

    /** An option for the restore target. */
    public Builder option(String key, String value) {
      targetOptions.put(Objects.requireNonNull(key, "key is null"), Objects.requireNonNull(value, "value is null"));
      return this;
    }

    /** A parameter for the transform named {@code transform}, e.g. its key file. */
    public Builder transformOption(String transform, String key, String value) {
      transformOptions.computeIfAbsent(transform, k -> new TreeMap<>()).put(key, value);
      return this;
    }

    /** Verify every part fully before restoring anything (reads the backup twice). */
    public Builder verifyFirst(boolean verifyFirst) {
      this.verifyFirst = verifyFirst;
      return this;
    }

    /** The cancellation signal for this run. */
    public Builder cancellation(Cancellation cancellation) {
      this.cancellation = Objects.requireNonNull(cancellation, "cancellation is null");
      return this;
    }

    /** Builds the job. */
    public RestoreJob build() {
      return new RestoreJob(this);
    }
  }
}
