package io.backup4j.api.spi;

import java.util.Set;

/** What every provider has in common: a name, the version of the SPI it was written for, its secret options. */
public interface Provider {
  /** The version of this SPI. A provider built for a newer SPI than the engine's is reported and skipped. */
  int SPI_VERSION = 1;

  /** The name the provider is looked up by: lower-case letters, digits and {@code -}, unique among its kind. */
  String name();

  /** The SPI version this provider was written against. */
  default int spiVersion() {
    return SPI_VERSION;
  }

  /** Options whose values are secrets and are redacted wherever options are printed. */
  default Set<String> sensitiveOptions() {
    return Set.of();
  }

  /** One line describing the provider and its options, for {@code backup4j plugins} and error messages. */
  default String description() {
    return name();
  }
}
