package io.backup4j.storage.local;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.BackupSink;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.Redaction;
import io.backup4j.api.SinkException;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.SinkProvider;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Opens repositories on the local file system: {@code file:/var/backups/repo}, {@code file:///var/backups/repo},
 * {@code file://localhost/var/backups/repo}, or a path relative to the working directory ({@code file:repo}).
 *
 * <p>Options, given as URI query parameters or in the options map:
 * <ul>
 *   <li>{@code staleTempHours} (positive integer, default 24): temporary files of writes older than this, left by
 *       killed processes, are removed when the repository is opened. Keep it longer than the longest backup.
 * </ul>
 * Any other option is a {@link ConfigurationException}.
 */
public final class LocalSinkProvider implements SinkProvider {
  /** The option naming the age after which orphaned temporary files are removed, in hours. */
  public static final String STALE_TEMP_HOURS = "staleTempHours";

  private static final Set<String> OPTIONS = Set.of(STALE_TEMP_HOURS);
  private static final long DEFAULT_STALE_TEMP_HOURS = 24;

  /** Creates the provider; called by {@link java.util.ServiceLoader}. */
  public LocalSinkProvider() {}

  @Override
  public String name() {
    return "file";
  }

  @Override
  public String description() {
    return "file: repository in a local directory, e.g. file:/var/backups/repo; options: "
        + STALE_TEMP_HOURS + "=<hours> (default " + DEFAULT_STALE_TEMP_HOURS + ")";
  }

  /**
   * Opens the repository directory named by {@code location}.
   *
   * @throws ConfigurationException if the URI is not a local {@code file:} URI or an option is unknown or invalid
   * @throws NotFoundException if the directory does not exist and {@code create} is {@code false}
   */
  @Override
  public BackupSink open(URI location, Map<String, String> options, boolean create, ProviderContext context) {
    Objects.requireNonNull(location, "location is null");
    Objects.requireNonNull(options, "options is null");
    Objects.requireNonNull(context, "context is null");
    String shown = Redaction.redact(location.toString());
    Path root = path(location, shown);
    Map<String, String> merged = mergeOptions(location, options, shown);
    Duration staleAge = Duration.ofHours(staleTempHours(merged));

    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS) && !Files.exists(root)) {
      if (!create) {
        throw new NotFoundException("no repository at " + root + ": the directory does not exist. Run a backup "
            + "first to create it, or fix the repository URI (" + shown + ")");
      }
      createRoot(root);
    }
    if (!Files.isDirectory(root)) {
      throw new ConfigurationException("the repository " + root + " is not a directory; give the URI of a "
          + "directory (" + shown + ")");
    }
    return LocalSink.open(root, staleAge);
  }

  private static Path path(URI location, String shown) {
    if (location.getScheme() == null || !location.getScheme().toLowerCase(Locale.ROOT).equals("file")) {
      throw new ConfigurationException("not a file: URI: " + shown + "; use file:/path/to/repository");
    }
    if (location.getFragment() != null) {
      throw new ConfigurationException("a file: repository URI has no fragment ('#...'): " + shown);
    }
    String raw;
    if (location.isOpaque()) {
      // file:relative/dir - resolved against the working directory. Query parameters cannot be told apart from the
      // path in an opaque URI, so they are not supported there.
      raw = location.getSchemeSpecificPart();
      if (raw.contains("?")) {
        throw new ConfigurationException("query parameters need an absolute file: URI (file:/abs/path?k=v): "
            + shown + "; or pass the options separately");
      }
    } else {
      String host = location.getHost();
      String authority = location.getRawAuthority();
      if (authority != null && !authority.isEmpty() && !"localhost".equalsIgnoreCase(host)) {
        throw new ConfigurationException("file: URIs name local directories only, not the host '" + authority
            + "' (" + shown + "); mount the share and use file:/mount/point, or file:///path");
      }
      raw = location.getPath();
    }
    if (raw == null || raw.isEmpty()) {
      throw new ConfigurationException("the file: URI names no directory: " + shown
          + "; use file:/path/to/repository");
    }
    try {
      return Path.of(raw).toAbsolutePath().normalize();
    } catch (InvalidPathException e) {
      throw new ConfigurationException("invalid repository path in " + shown + ": " + e.getReason(), e);
    }
  }

  private static Map<String, String> mergeOptions(URI location, Map<String, String> options, String shown) {
    Map<String, String> merged = new LinkedHashMap<>(options);
    String query = location.isOpaque() ? null : location.getQuery();
    if (query != null && !query.isEmpty()) {
      for (String pair : query.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name = eq < 0 ? pair : pair.substring(0, eq);
        String value = eq < 0 ? "" : pair.substring(eq + 1);
        String previous = merged.putIfAbsent(name, value);
        if (previous != null && !previous.equals(value)) {
          throw new ConfigurationException("option '" + name + "' is given twice with different values (in the "
              + "URI " + shown + " and in the options); give it once");
        }
      }
    }
    for (String name : merged.keySet()) {
      if (!OPTIONS.contains(name)) {
        throw new ConfigurationException("unknown option '" + name + "' for file: repositories; supported: "
            + String.join(", ", new TreeSet<>(OPTIONS)));
      }
    }
    return merged;
  }

  private static long staleTempHours(Map<String, String> options) {
    String value = options.get(STALE_TEMP_HOURS);
    if (value == null) {
      return DEFAULT_STALE_TEMP_HOURS;
    }
    try {
      long hours = Long.parseLong(value.trim());
      if (hours >= 1 && hours <= 24L * 365 * 100) {
        return hours;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ConfigurationException("option " + STALE_TEMP_HOURS + " must be a whole number of hours >= 1, not '"
        + value + "'");
  }

  private static void createRoot(Path root) {
    try {
      if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        // Only the repository itself is private; missing parents get the usual umask-derived mode.
        Path parent = root.getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
        Files.createDirectory(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        if (parent != null) {
          // Make the new repository's own name durable, like every name the sink creates inside it.
          try (FileChannel ch = FileChannel.open(parent, StandardOpenOption.READ)) {
            ch.force(true);
          }
        }
      } else {
        Files.createDirectories(root);
      }
    } catch (java.nio.file.FileAlreadyExistsException e) {
      return; // created concurrently by another process; checked to be a directory by the caller
    } catch (java.nio.file.AccessDeniedException e) {
      throw new AccessDeniedException("cannot create the repository directory " + root + ": permission denied on "
          + e.getFile() + "; create it yourself or check its parent's owner and permissions", e);
    } catch (IOException e) {
      throw new SinkException("cannot create the repository directory " + root + ": " + e, e);
    }
  }
}
