package io.backup4j.api;

import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Everything restore needs to know about one backup; committed to the repository after all its parts, so a backup
 * whose manifest exists is complete. Serialised as versioned JSON by the engine ({@code docs/manifest-format.md}).
 *
 * @param formatVersion version of the manifest format, {@link #FORMAT_VERSION} when written by this release
 * @param id the backup's id
 * @param backupSet the backup set (one source's series of backups: the unit of locking and retention)
 * @param sourceKind the provider kind that made it and can restore it, e.g. {@code files}
 * @param sourceIdentity a description of the source with credentials removed
 * @param labels user labels
 * @param startedAt when the backup started
 * @param finishedAt when the last part was committed
 * @param status the backup's state
 * @param parts the stored parts, in the order the source opened them
 * @param transforms the transform chain applied to every part, in encoding order
 * @param parentId the backup this one depends on (incremental and WAL kinds), or {@code null} for a self-contained
 *     backup
 * @param sourceMetadata free-form facts recorded by the source (server version, LSN range, key counts...)
 * @param producer the software and version that wrote it
 */
public record Manifest(
    int formatVersion,
    BackupId id,
    String backupSet,
    String sourceKind,
    String sourceIdentity,
    Map<String, String> labels,
    Instant startedAt,
    Instant finishedAt,
    BackupStatus status,
    List<PartInfo> parts,
    List<TransformSpec> transforms,
    @Nullable BackupId parentId,
    Map<String, String> sourceMetadata,
    String producer) {

  /** The manifest format version this release writes. */
  public static final int FORMAT_VERSION = 1;

  /** Validates and makes the collections unmodifiable. */
  public Manifest {
    Objects.requireNonNull(id, "id is null");
    Objects.requireNonNull(backupSet, "backupSet is null");
    Objects.requireNonNull(sourceKind, "sourceKind is null");
    Objects.requireNonNull(sourceIdentity, "sourceIdentity is null");
    Objects.requireNonNull(startedAt, "startedAt is null");
    Objects.requireNonNull(finishedAt, "finishedAt is null");
    Objects.requireNonNull(status, "status is null");
    Objects.requireNonNull(producer, "producer is null");
    labels = Collections.unmodifiableMap(new TreeMap<>(labels));
    sourceMetadata = Collections.unmodifiableMap(new TreeMap<>(sourceMetadata));
    parts = List.copyOf(parts);
    transforms = List.copyOf(transforms);
    long distinct = parts.stream().map(PartInfo::name).distinct().count();
    if (distinct != parts.size()) {
      throw new IllegalArgumentException("duplicate part names in manifest " + id);
    }
  }

  /** The part with this name. */
  public Optional<PartInfo> part(String name) {
    return parts.stream().filter(p -> p.name().equals(name)).findFirst();
  }

  /** The parent backup, if this backup depends on one. */
  public Optional<BackupId> parent() {
    return Optional.ofNullable(parentId);
  }

  /** Sum of the parts' raw sizes. */
  public long rawSize() {
    return parts.stream().mapToLong(PartInfo::rawSize).sum();
  }

  /** Sum of the parts' stored sizes. */
  public long storedSize() {
    return parts.stream().mapToLong(PartInfo::storedSize).sum();
  }
}
