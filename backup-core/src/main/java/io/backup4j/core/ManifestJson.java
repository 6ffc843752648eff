package io.backup4j.core;

import io.backup4j.api.Manifest;
import io.backup4j.core.internal.ManifestCodec;

/** The JSON form of manifests, as stored in repositories and printed by {@code backup4j list --json}. */
public final class ManifestJson {
  private ManifestJson() {}

  /** Serialises a manifest to UTF-8 JSON. */
  public static byte[] write(Manifest manifest) {
    return ManifestCodec.write(manifest);
  }

  /**
   * Parses a manifest.
   *
   * @throws io.backup4j.api.IntegrityException if the bytes are not a valid manifest of a supported version
   */
  public static Manifest read(byte[] json) {
    return ManifestCodec.read(json, "input");
  }
}
