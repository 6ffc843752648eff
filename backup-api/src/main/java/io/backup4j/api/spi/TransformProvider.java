package io.backup4j.api.spi;

import io.backup4j.api.Transform;
import java.util.Map;

/** Creates {@link Transform}s by name ({@code zstd}, {@code gzip}, {@code aes-gcm}). */
public interface TransformProvider extends Provider {
  /**
   * Creates a transform. At backup time {@code parameters} are the user's; at restore time they are the parameters
   * recorded in the manifest merged with the user's restore options (keys, keyrings).
   *
   * @throws io.backup4j.api.ConfigurationException for an unknown or invalid parameter
   */
  Transform create(Map<String, String> parameters, ProviderContext context);
}
