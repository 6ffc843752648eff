package io.backup4j.compress;

import io.backup4j.api.BackupSession;
import io.backup4j.api.BackupSource;
import io.backup4j.api.PartInfo;
import io.backup4j.api.PartWriter;
import io.backup4j.api.RestoreSession;
import io.backup4j.api.RestoreTarget;
import io.backup4j.api.spi.ProviderContext;
import io.backup4j.api.spi.SourceProvider;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A test-only source kind {@code dirparts}: each regular file of a flat directory becomes one part, streamed; the
 * target writes each part back as a file. Just enough to drive the real engine end to end without depending on
 * backup-files.
 */
public final class DirectoryPartsProvider implements SourceProvider {
  @Override
  public String name() {
    return "dirparts";
  }

  @Override
  public BackupSource openSource(URI uri, Map<String, String> options, ProviderContext context) {
    Path dir = Path.of(uri.getPath());
    return new BackupSource() {
      @Override
      public String kind() {
        return "dirparts";
      }

      @Override
      public String identity() {
        return "dirparts:" + dir;
      }

      @Override
      public void backup(BackupSession session) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
          files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
          try (PartWriter w = session.openPart(f.getFileName().toString());
              InputStream in = Files.newInputStream(f)) {
            OutputStream out = w.stream();
            in.transferTo(out);
            w.commit();
          }
        }
      }
    };
  }

  @Override
  public RestoreTarget openTarget(String target, Map<String, String> options, ProviderContext context) {
    Path dir = Path.of(target);
    return new RestoreTarget() {
      @Override
      public String describe() {
        return dir.toString();
      }

      @Override
      public void restore(RestoreSession session) throws IOException {
        Files.createDirectories(dir);
        for (PartInfo part : session.manifest().parts()) {
          try (InputStream in = session.openPart(part.name())) {
            Files.copy(in, dir.resolve(part.name()));
          }
        }
      }
    };
  }
}
