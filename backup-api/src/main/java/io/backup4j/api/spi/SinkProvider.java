package io.backup4j.api.spi;

import io.backup4j.api.BackupSink;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/** Creates {@link BackupSink}s for one or more URI schemes ({@code file}, {@code s3}). */
public interface SinkProvider extends Provider {
  /** URI schemes handled; by default just {@link #name()}. */
  default Set<String> schemes() {
    return Set.of(name());
  }

  /**
   * Opens a repository. Query parameters of the URI and {@code options} both configure the sink; unknown options are
   * a {@link io.backup4j.api.ConfigurationException}.
   *
   * @param create whether the repository may be created if it does not exist (a backup); when {@code false} a
   *     missing repository is a {@link io.backup4j.api.NotFoundException} (list, restore)
   */
  BackupSink open(URI location, Map<String, String> options, boolean create, ProviderContext context);
}
