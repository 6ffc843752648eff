package io.backup4j.testkit;

import java.util.Locale;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Decides whether the testkit's fixtures run in Docker containers (Testcontainers) or embedded, on this machine.
 *
 * <p>The switch is the system property {@value #MODE_PROPERTY} (or the environment variable {@value #MODE_ENV}; the
 * property wins): {@code auto} (the default) uses containers when {@link #available()}, {@code never} always runs
 * the embedded fixtures, {@code always} requires containers and fails loudly where Docker is absent (CI jobs that
 * must test against the real images set it, so a lost Docker engine cannot silently downgrade them).
 */
public final class Docker {
  /** System property selecting the fixture mode: {@code never}, {@code auto} or {@code always}. */
  public static final String MODE_PROPERTY = "backup4j.testkit.containers";
  /** Environment variable selecting the fixture mode when the system property is not set. */
  public static final String MODE_ENV = "BACKUP4J_TESTKIT_CONTAINERS";

  private static final String PROBE_CLASS = "org.testcontainers.DockerClientFactory";
  private static volatile @Nullable Boolean available;

  private Docker() {}

  /** How the fixtures choose between a container and an embedded server. */
  public enum Mode {
    /** Embedded fixtures only, even where Docker exists. */
    NEVER,
    /** Containers where Docker is available, embedded fixtures otherwise. */
    AUTO,
    /** Containers only; starting a fixture without Docker fails. */
    ALWAYS;

    /** The property value: {@code never}, {@code auto} or {@code always}. */
    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses {@code never|auto|always} (case-insensitive, blank or null = {@link #AUTO}).
     *
     * @throws IllegalArgumentException naming {@value #MODE_PROPERTY} for any other value
     */
    public static Mode parse(@Nullable String value) {
      if (value == null || value.isBlank()) {
        return AUTO;
      }
      return switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "never" -> NEVER;
        case "auto" -> AUTO;
        case "always" -> ALWAYS;
        default -> throw new IllegalArgumentException("invalid " + MODE_PROPERTY + "=" + value
            + ": use never, auto or always");
      };
    }
  }

  /**
   * Whether Testcontainers is on the class path and reports a usable Docker engine. Any failure of the check (no
   * engine, no socket permission, a broken Testcontainers set-up) counts as "not available". The answer is cached.
   */
  public static boolean available() {
    Boolean a = available;
    if (a == null) {
      a = probe();
      available = a;
    }
    return a;
  }

  /** Whether the Testcontainers classes are on the class path (they are an optional dependency of the testkit). */
  public static boolean testcontainersOnClassPath() {
    try {
      Class.forName(PROBE_CLASS, false, Docker.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  private static boolean probe() {
    if (!testcontainersOnClassPath()) {
      return false;
    }
    try {
      return ContainerProbe.isDockerAvailable();
    } catch (Throwable t) {
      // isDockerAvailable() itself catches most failures, but class initialisation errors (a missing transitive
      // dependency, a bad docker config) surface as Errors; all of them mean "no usable Docker here"
      return false;
    }
  }

  /** The mode from {@value #MODE_PROPERTY}, else {@value #MODE_ENV}, else {@link Mode#AUTO}. */
  public static Mode mode() {
    String p = System.getProperty(MODE_PROPERTY);
    return Mode.parse(p != null && !p.isBlank() ? p : System.getenv(MODE_ENV));
  }

  /** Whether fixtures should start containers here: decided from {@link #mode()} and {@link #available()}. */
  public static boolean useContainers(String fixture) {
    return useContainers(mode(), Docker::available, fixture);
  }

  /**
   * The selection rule, separated for tests: {@code never} → false; {@code auto} → whether Docker is available;
   * {@code always} → true if Docker is available, else an exception.
   *
   * @throws IllegalStateException in mode {@code always} without Docker, naming {@value #MODE_PROPERTY}
   */
  static boolean useContainers(Mode mode, BooleanSupplier dockerAvailable, String fixture) {
    Objects.requireNonNull(fixture, "fixture is null");
    return switch (mode) {
      case NEVER -> false;
      case AUTO -> dockerAvailable.getAsBoolean();
      case ALWAYS -> {
        if (!dockerAvailable.getAsBoolean()) {
          throw new IllegalStateException(MODE_PROPERTY + "=always but no Docker engine is available for the "
              + fixture + " fixture (Testcontainers " + (testcontainersOnClassPath() ? "found no engine"
              : "is not on the class path: add org.testcontainers:testcontainers") + "); start Docker or set "
              + MODE_PROPERTY + "=auto to fall back to the embedded fixture");
        }
        yield true;
      }
    };
  }

  // Only loaded once Testcontainers is known to be on the class path, so Docker itself never links against it.
  private static final class ContainerProbe {
    static boolean isDockerAvailable() {
      return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
    }
  }
}
