package io.backup4j.files;

import io.backup4j.api.BackupSource;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.RestoreTarget;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.SourceProvider;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code files} provider: backs up a directory tree and restores it into a directory.
 *
 * <p>Source: {@code files:/srv/media} or {@code files:///srv/media} (a relative {@code files:media} is resolved
 * against the working directory). Option {@value #EXCLUDE}: comma-separated globs relative to the root, e.g.
 * {@code *.tmp,cache/**} (see {@link FilesSource} for the format and {@code Excludes} rules: a pattern without
 * {@code /} matches names at any depth). Options may also be given as URI query parameters
 * ({@code files:/srv/media?exclude=*.tmp}).
 *
 * <p>Target: a plain path, a {@code file:} or a {@code files:} URI naming a directory. Option {@value #OVERWRITE}
 * ({@code true}/{@code false}, default {@code false}) allows restoring into a directory that is not empty; option
 * {@value #FSYNC} ({@code true}/{@code false}, default {@code true}) makes every restored file and directory durable
 * before the restore returns (turn off only for scratch restores, e.g. tests).
 */
public final class FilesSourceProvider implements SourceProvider {
  /** The provider name, URI scheme and manifest kind. */
  public static final String NAME = "files";
  /** Source option: comma-separated exclusion globs. */
  public static final String EXCLUDE = "exclude";
  /** Target option: restore into a non-empty directory, replacing same-named entries. */
  public static final String OVERWRITE = "overwrite";
  /** Target option: fsync every restored file and directory before reporting success (default {@code true}). */
  public static final String FSYNC = "fsync";
  /**
   * Target option set by the CLI's {@code --target-dir}: restore as files into a directory. A files backup always
   * restores into a directory, so it is accepted ({@code true}/{@code false}) and changes nothing.
   */
  public static final String TARGET_DIR = "targetDir";

  private static final Set<String> SOURCE_OPTIONS = Set.of(EXCLUDE);
  private static final Set<String> TARGET_OPTIONS = Set.of(OVERWRITE, FSYNC, TARGET_DIR);

  /** Used by {@link java.util.ServiceLoader}. */
  public FilesSourceProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "files: directory trees as POSIX/PAX tar; source files:/path (option exclude=glob,...), "
        + "target a directory (options overwrite=true|false, fsync=true|false)";
  }

  /**
   * Opens a directory tree as a source.
   *
   * @throws NotFoundException if the directory does not exist
   * @throws ConfigurationException if the URI is not a local {@code files:} URI, the path is not a directory, an
   *     option is unknown or an exclusion glob is invalid
   */
  @Override
  public BackupSource openSource(URI uri, Map<String, String> options, ProviderContext context) {
    Map<String, String> query = new LinkedHashMap<>();
    Path root = Options.directory(uri, Set.of(NAME), query);
    Map<String, String> all = Options.merge(options, query);
    Options.validate(all, SOURCE_OPTIONS, "files source");
    Excludes excludes = all.containsKey(EXCLUDE) ? Excludes.parse(all.get(EXCLUDE)) : Excludes.none();
    FilesSource.checkRoot(root);
    return new FilesSource(root, excludes);
  }

  /**
   * Opens a directory as a restore target. Nothing is checked against the file system or written until
   * {@link RestoreTarget#restore} runs.
   *
   * @throws ConfigurationException if the target is not a path or local {@code file:}/{@code files:} URI, or an
   *     option is unknown or invalid
   */
  @Override
  public RestoreTarget openTarget(String target, Map<String, String> options, ProviderContext context) {
    Map<String, String> query = new LinkedHashMap<>();
    Path dir;
    String lower = target.toLowerCase(Locale.ROOT);
    if (lower.startsWith("file:") || lower.startsWith("files:")) {
      try {
        dir = Options.directory(new URI(target), Set.of("file", NAME), query);
      } catch (URISyntaxException e) {
        throw new ConfigurationException("invalid target URI '" + target + "': " + e.getReason()
            + "; give a plain directory path instead", e);
      }
    } else {
      if (target.isBlank()) {
        throw new ConfigurationException("the restore target is empty; give the directory to restore into");
      }
      dir = Options.path(target);
    }
    Map<String, String> all = Options.merge(options, query);
    Options.validate(all, TARGET_OPTIONS, "files restore target");
    Options.bool(all, TARGET_DIR); // validated only: see TARGET_DIR
    return new FilesRestoreTarget(dir, Options.bool(all, OVERWRITE), !all.containsKey(FSYNC) || Options.bool(all, FSYNC));
  }
}
