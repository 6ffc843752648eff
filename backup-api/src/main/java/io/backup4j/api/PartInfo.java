package io.backup4j.api;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One stored part of a backup, as recorded in its manifest.
 *
 * @param name the part's name given by the source, e.g. {@code tree.tar} or {@code tables/public.users}
 * @param key the storage key of the stored bytes, relative to the repository root
 * @param rawSize bytes the source produced (before transforms)
 * @param storedSize bytes stored (after transforms)
 * @param rawSha256 lower-case hex SHA-256 of the bytes the source produced
 * @param storedSha256 lower-case hex SHA-256 of the stored bytes
 */
public record PartInfo(String name, String key, long rawSize, long storedSize, String rawSha256, String storedSha256) {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  /** Validates the components. */
  public PartInfo {
    Objects.requireNonNull(name, "name is null");
    StorageKeys.validate(key);
    if (rawSize < 0 || storedSize < 0) {
      throw new IllegalArgumentException("negative size in part " + name);
    }
    if (!SHA256.matcher(rawSha256).matches() || !SHA256.matcher(storedSha256).matches()) {
      throw new IllegalArgumentException("part " + name + " has a malformed SHA-256");
    }
  }

  /**
   * Validates a part name chosen by a source: the rules of {@link StorageKeys}, at most 255 characters.
   *
   * @throws ConfigurationException naming the part
   */
  public static String validateName(String name) {
    if (name.length() > 255) {
      throw new ConfigurationException("part name longer than 255 characters: " + name.substring(0, 40) + "...");
    }
    return StorageKeys.validate(name);
  }
}
