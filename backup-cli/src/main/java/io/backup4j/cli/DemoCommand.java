package io.backup4j.cli;

import io.backup4j.api.Manifest;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.core.Providers;
import io.backup4j.core.RestoreJob;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code backup4j demo}: the whole cycle on generated data in a temporary directory — back up (compressed and
 * encrypted when those plugins are installed) into a fresh local repository, list, verify, restore, and compare
 * the restored data with the original, printed as a short report. Exit code 0 only if the data compare equal.
 */
@Command(name = "demo", description = "Back up generated data into a temporary repository, restore it and compare.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--keep-files", description = "Keep the temporary directory for inspection.")
  boolean keepFiles;

  @Override
  public Integer call() throws Exception {
    var out = Main.out;
    Path work = Files.createTempDirectory("backup4j-demo-");
    try {
      Path source = work.resolve("media");
      int files = generateTree(source);
      Path repo = work.resolve("repo");
      Providers providers = Providers.load();
      BackupJob.Builder job = BackupJob.builder().source("files:" + source).label("demo", "true");
      RestoreJob.Builder restore = RestoreJob.builder(work.resolve("restored").toString());
      StringBuilder chain = new StringBuilder();
      if (providers.transformNames().contains("zstd")) {
        job.transform("zstd", Map.of("level", "3"));
        chain.append("zstd ");
      }
      if (providers.transformNames().contains("aes-gcm")) {
        Path key = work.resolve("demo.key");
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        Files.write(key, k);
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        job.transform("aes-gcm", Map.of("keyFile", key.toString()));
        restore.transformOption("aes-gcm", "keyFile", key.toString());
        chain.append("aes-gcm ");
      }
      out.println("backup4j demo in " + work);
      out.printf(Locale.ROOT, "  source      files:%s (%d files, %s)%n", source, files, ProgressPrinter.human(treeSize(source)));
      out.println("  repository  file:" + repo);
      out.println("  transforms  " + (chain.length() == 0 ? "none" : chain.toString().trim()));
      try (Backups backups = Backups.builder().repository("file:" + repo).build()) {
        long t0 = System.nanoTime();
        Manifest m = backups.backup(job.build());
        long t1 = System.nanoTime();
        out.printf(Locale.ROOT, "1. backup    %s: %s raw -> %s stored in %d ms%n", m.id(), ProgressPrinter.human(m.rawSize()),
            ProgressPrinter.human(m.storedSize()), (t1 - t0) / 1_000_000);
        out.printf(Locale.ROOT, "2. list      %d backup(s) in the repository%n", backups.list().size());
        RestoreJob rj = restore.build();
        backups.verify(m.id(), rj.transformOptions());
        out.println("3. verify    every part read back, SHA-256 of stored and decoded bytes match");
        long t2 = System.nanoTime();
        backups.restore(m.id(), rj);
        long t3 = System.nanoTime();
        out.printf(Locale.ROOT, "4. restore   into %s in %d ms%n", rj.target(), (t3 - t2) / 1_000_000);
        Map<String, String> before = digestTree(source);
        Map<String, String> after = digestTree(Path.of(rj.target()));
        boolean same = before.equals(after);
        out.printf(Locale.ROOT, "5. compare   %d entries, contents and symlinks: %s%n", before.size(), same ? "IDENTICAL" : "DIFFERENT");
        return same ? ExitCodes.OK : ExitCodes.INTEGRITY;
      }
    } finally {
      if (!keepFiles) {
        io.backup4j.cli.DemoCommand.deleteTree(work);
      }
    }
  }

  static int generateTree(Path root) throws IOException {
    Random r = new Random(42);
    String[] words = "invoice customer order shipped pending refund product warehouse berlin paris lisbon note photo"
        .split(" ");
    int n = 0;
    for (int d = 0; d < 20; d++) {
      Path dir = root.resolve("album-" + d).resolve("2026-" + (1 + d % 12));
      Files.createDirectories(dir);
      for (int f = 0; f < 50; f++) {
        StringBuilder sb = new StringBuilder();
        int lines = 5 + r.nextInt(200);
        for (int l = 0; l < lines; l++) {
          sb.append(l).append(',').append(words[r.nextInt(words.length)]).append(',').append(r.nextInt(100000))
              .append(',').append(Long.toHexString(r.nextLong())).append('\n');
        }
        Files.writeString(dir.resolve("item-" + f + (f % 7 == 0 ? " (copy) é.csv" : ".csv")), sb, StandardCharsets.UTF_8);
        n++;
      }
      byte[] bin = new byte[8192 + r.nextInt(65536)];
      r.nextBytes(bin);
      Files.write(dir.resolve("photo.jpg"), bin);
      n++;
    }
    Files.createDirectories(root.resolve("empty-dir"));
    Files.createSymbolicLink(root.resolve("latest"), Path.of("album-19"));
    return n;
  }

  static long treeSize(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  static Map<String, String> digestTree(Path root) throws Exception {
    Map<String, String> m = new TreeMap<>();
    List<Path> all;
    try (Stream<Path> s = Files.walk(root)) {
      all = s.toList();
    }
    for (Path p : all) {
      String rel = root.relativize(p).toString();
      if (Files.isSymbolicLink(p)) {
        m.put(rel, "link:" + Files.readSymbolicLink(p));
      } else if (Files.isDirectory(p)) {
        m.put(rel, "dir");
      } else {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(p)) {
          byte[] buf = new byte[65536];
          int r;
          while ((r = in.read(buf)) >= 0) {
            md.update(buf, 0, r);
          }
        } catch (Exception e) {
          throw new IOException(e);
        }
        m.put(rel, HexFormat.of().formatHex(md.digest()));
      }
    }
    return m;
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
