package io.backup4j.api.spi;

import io.backup4j.api.BackupSource;
import io.backup4j.api.RestoreTarget;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * Creates {@link BackupSource}s and the {@link RestoreTarget}s that restore their backups. {@link #name()} is the
 * kind recorded in manifests ({@code files}, {@code postgres}, {@code redis}).
 */
public interface SourceProvider extends Provider {
  /** URI schemes that select this provider as a source; by default just {@link #name()}. */
  default Set<String> schemes() {
    return Set.of(name());
  }

  /**
   * Opens a source.
   *
   * @param uri the source's location, e.g. {@code files:/srv/media}
   * @param options provider-specific options; unknown options are a {@link io.backup4j.api.ConfigurationException}
   */
  BackupSource openSource(URI uri, Map<String, String> options, ProviderContext context);

  /**
   * Opens a target to restore a backup of this kind into.
   *
   * @param target where to restore: a URI or a plain path, as the provider documents
   * @param options provider-specific options (overwrite, tables to restore, ...)
   */
  RestoreTarget openTarget(String target, Map<String, String> options, ProviderContext context);
}
