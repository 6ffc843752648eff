package io.backup4j.core;

import io.backup4j.api.ConfigurationException;
import io.backup4j.api.spi.Provider;
import io.backup4j.api.spi.RetentionPolicyProvider;
import io.backup4j.api.spi.SinkProvider;
import io.backup4j.api.spi.SourceProvider;
import io.backup4j.api.spi.TransformProvider;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The installed plugins, discovered with {@link ServiceLoader}.
 *
 * <p>Discovery fails loudly: two providers claiming one name is a {@link ConfigurationException} naming both
 * classes; a name nobody provides is a {@link ConfigurationException} listing what is installed. A provider that
 * cannot be loaded (a missing dependency, a newer SPI version) is skipped and reported by {@link #problems()} and
 * in the log, so one broken plugin does not take the others down.
 */
public final class Providers {
  private static final Logger LOG = LoggerFactory.getLogger(Providers.class);

  private final Map<String, SourceProvider> sources;
  private final Map<String, SinkProvider> sinks;
  private final Map<String, TransformProvider> transforms;
  private final Map<String, RetentionPolicyProvider> retention;
  private final List<String> problems;

  private Providers(ClassLoader loader) {
    List<String> p = new ArrayList<>();
    this.sources = index(SourceProvider.class, loader, SourceProvider::schemes, p);
    this.sinks = index(SinkProvider.class, loader, SinkProvider::schemes, p);
    this.transforms = index(TransformProvider.class, loader, t -> Set.of(t.name()), p);
    this.retention = index(RetentionPolicyProvider.class, loader, r -> Set.of(r.name()), p);
    this.problems = List.copyOf(p);
  }

  /** Discovers providers with the thread context class loader (or this class's loader if there is none). */
  public static Providers load() {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return load(cl != null ? cl : Providers.class.getClassLoader());
  }

  /** Discovers providers with an explicit class loader. */
  public static Providers load(ClassLoader loader) {
    return new Providers(loader);
  }

  private static <P extends Provider> Map<String, P> index(
      Class<P> type, ClassLoader loader, Function<P, Set<String>> names, List<String> problems) {
    Map<String, P> byName = new TreeMap<>();
    var iterator = ServiceLoader.load(type, loader).iterator();
    while (true) {
      P provider;
      try {
        if (!iterator.hasNext()) {
          break;
        }
        provider = iterator.next();
      } catch (ServiceConfigurationError | LinkageError e) {
        String msg = "a " + type.getSimpleName() + " could not be loaded and is skipped: " + e;
        LOG.warn(msg);
        problems.add(msg);
        continue;
      }
      if (provider.spiVersion() > Provider.SPI_VERSION) {
        String msg = provider.getClass().getName() + " needs SPI version " + provider.spiVersion()
            + " but this backup4j has " + Provider.SPI_VERSION + "; upgrade backup4j. The provider is skipped.";
        LOG.warn(msg);
        problems.add(msg);
        continue;
      }
      for (String name : names.apply(provider)) {
        String key = name.toLowerCase(Locale.ROOT);
        P previous = byName.putIfAbsent(key, provider);
        if (previous != null && previous.getClass() != provider.getClass()) {
          String property = "backup4j.provider." + type.getSimpleName() + "." + key;
          String chosen = System.getProperty(property);
          if (provider.getClass().getName().equals(chosen)) {
            byName.put(key, provider);
          } else if (!previous.getClass().getName().equals(chosen)) {
            throw new ConfigurationException("two " + type.getSimpleName() + "s claim the name '" + key + "': "
                + previous.getClass().getName() + " and " + provider.getClass().getName()
                + "; remove one of the two jars from the class path, or choose one with -D" + property + "=<class name>");
          }
        }
      }
    }
    return Collections.unmodifiableMap(byName);
  }

  private static <P> P find(Map<String, P> map, String name, String what) {
    P p = map.get(name.toLowerCase(Locale.ROOT));
    if (p == null) {
      throw new ConfigurationException("no " + what + " named '" + name + "' is installed; installed: "
          + (map.isEmpty() ? "none" : String.join(", ", map.keySet()))
          + ". Add the backup4j module that provides it to the class path.");
    }
    return p;
  }

  /** The source provider for a URI scheme or kind. */
  public SourceProvider source(String schemeOrKind) {
    return find(sources, schemeOrKind, "source");
  }

  /** The sink provider for a URI scheme. */
  public SinkProvider sink(String scheme) {
    return find(sinks, scheme, "storage (repository URI scheme)");
  }

  /** The transform provider with this name. */
  public TransformProvider transform(String name) {
    return find(transforms, name, "transform");
  }

  /** The retention policy provider with this name. */
  public RetentionPolicyProvider retention(String name) {
    return find(retention, name, "retention policy");
  }

  /** Installed source schemes and kinds. */
  public Set<String> sourceNames() {
    return sources.keySet();
  }

  /** Installed sink schemes. */
  public Set<String> sinkNames() {
    return sinks.keySet();
  }

  /** Installed transform names. */
  public Set<String> transformNames() {
    return transforms.keySet();
  }

  /** Installed retention policy names. */
  public Set<String> retentionNames() {
    return retention.keySet();
  }

  /** Providers that were found but could not be used, with the reason. */
  public List<String> problems() {
    return problems;
  }
}
