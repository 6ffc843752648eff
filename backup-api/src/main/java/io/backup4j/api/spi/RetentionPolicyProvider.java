package io.backup4j.api.spi;

import io.backup4j.api.RetentionPolicy;
import java.util.Map;

/** Creates {@link RetentionPolicy}s by name ({@code keep}). */
public interface RetentionPolicyProvider extends Provider {
  /**
   * Creates a policy from its parameters, e.g. {@code last=7, daily=14, weekly=8, monthly=12, within=30d}.
   *
   * @throws io.backup4j.api.ConfigurationException for an unknown or invalid parameter
   */
  RetentionPolicy create(Map<String, String> parameters);
}
