package io.backup4j.files;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/** Generated trees and comparable snapshots of trees, for round-trip tests. */
final class TestTrees {
  /** A provider context for opening providers directly. */
  static final io.backup4j.api.spi.ProviderContext CTX =
      io.backup4j.testkit.TestProviderContext.of(Path.of(System.getProperty("java.io.tmpdir")));
  static final Instant BASE_TIME = Instant.parse("2021-03-04T05:06:07.123456789Z");
  static final String LONG_SEGMENT = "long-" + "n".repeat(195);            // 200 bytes: beyond ustar's 100
  static final String UNICODE_DIR = "ünïcödé-日本語";
  static final String UNICODE_FILE = "emoji-😀-e\u0301-файл.txt";

  private TestTrees() {}

  /**
   * Writes a tree of about {@code files} small files plus every special case, under {@code root}; symbolic links
   * point into {@code outside} as well, which gets a file {@code secret.txt} that must never be backed up.
   */
  static void generate(Path root, Path outside, int files) throws IOException {
    Random random = new Random(42);
    Files.createDirectories(root);
    Files.createDirectories(outside);
    Files.writeString(outside.resolve("secret.txt"), "outside the tree");
    for (int i = 0; i < files; i++) {
      String dir = "d" + (i % 7) + "/sub" + (i % 13) + (i % 3 == 0 ? "/deep/er" : "");
      byte[] data = new byte[i % 50 == 0 ? 0 : random.nextInt(2000)];
      random.nextBytes(data);
      Path f = Files.createDirectories(root.resolve(dir)).resolve("f" + i + (i % 2 == 0 ? ".bin" : ".txt"));
      Files.write(f, data);
    }
    byte[] all = new byte[256 * 4];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) i;
    }
    Files.write(root.resolve("all-bytes.bin"), all);
    byte[] big = new byte[300_000]; // spans several copy buffers
    random.nextBytes(big);
    Files.write(root.resolve("big.bin"), big);
    Files.createFile(root.resolve("empty-file"));

    // names over 100 bytes and paths over 255 bytes
    Path longDir = Files.createDirectories(root.resolve(LONG_SEGMENT).resolve(LONG_SEGMENT));
    Files.writeString(longDir.resolve(LONG_SEGMENT + ".txt"), "deep and long");
    Files.writeString(root.resolve(LONG_SEGMENT + "-file"), "a long file name at the top");

    Path uni = Files.createDirectories(root.resolve(UNICODE_DIR));
    Files.writeString(uni.resolve(UNICODE_FILE), "unicode ✓");
    Files.writeString(uni.resolve("Ωmega"), "omega");

    Files.createDirectories(root.resolve("empty"));
    Files.createDirectories(root.resolve("empty2/nested/empty"));

    Path bin = Files.createDirectories(root.resolve("bin"));
    Files.writeString(bin.resolve("run.sh"), "#!/bin/sh\necho hi\n");
    mode(bin.resolve("run.sh"), 0755);
    Files.writeString(bin.resolve("private.key"), "secret-ish");
    mode(bin.resolve("private.key"), 0600);
    Files.writeString(bin.resolve("read-only"), "ro");
    mode(bin.resolve("read-only"), 0444);
    Files.writeString(bin.resolve("setuid"), "su");
    mode(bin.resolve("setuid"), 04755);
    Path shared = Files.createDirectories(root.resolve("shared"));
    Files.writeString(shared.resolve("x"), "x");
    mode(shared, 02775);
    mode(Files.createDirectories(root.resolve("sticky")), 01777);
    mode(Files.createDirectories(root.resolve("closed")), 0700);

    Path links = Files.createDirectories(root.resolve("links"));
    Files.createSymbolicLink(links.resolve("inside"), Path.of("../d0/sub0/deep/er/f0.bin"));
    Files.createSymbolicLink(links.resolve("outside-abs"), outside.resolve("secret.txt"));
    Files.createSymbolicLink(links.resolve("outside-dir"), outside);
    Files.createSymbolicLink(links.resolve("outside-rel"), Path.of("../../outside/secret.txt"));
    Files.createSymbolicLink(links.resolve("dir-inside"), Path.of("../d1"));
    Files.createSymbolicLink(links.resolve("dangling"), Path.of("does/not/exist"));
    Files.createSymbolicLink(links.resolve("long-" + LONG_SEGMENT.substring(0, 150)),
        Path.of("../" + LONG_SEGMENT + "/" + LONG_SEGMENT + "/" + LONG_SEGMENT + ".txt"));

    Path hard = Files.createDirectories(root.resolve("hard"));
    Files.writeString(hard.resolve("a"), "hard-linked");
    Files.createLink(hard.resolve("b"), hard.resolve("a"));

    // mtimes last, deepest first, so creating children does not move a directory's mtime again
    List<Path> all2 = new ArrayList<>();
    try (var s = Files.walk(root)) {
      s.forEach(all2::add);
    }
    all2.sort(Comparator.comparingInt(Path::getNameCount).reversed().thenComparing(Path::toString));
    int i = 0;
    for (Path p : all2) {
      Instant t = BASE_TIME.plus(i++, ChronoUnit.MINUTES);
      Files.getFileAttributeView(p, java.nio.file.attribute.BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setTimes(FileTime.from(t), null, null);
    }
  }

  static void mode(Path p, int mode) throws IOException {
    Files.setAttribute(p, "unix:mode", mode);
  }

  /**
   * Everything a restore must reproduce, keyed by relative path ({@code ""} is the root): type, the 12 mode bits,
   * mtime to the second, SHA-256 of the content, link text.
   */
  static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> m = new TreeMap<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
        m.put(rel(root, d), "dir " + describe(d));
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
        if (a.isSymbolicLink()) {
          m.put(rel(root, f), "link -> " + Files.readSymbolicLink(f) + " " + mtime(f));
        } else {
          m.put(rel(root, f), "file " + describe(f) + " size=" + a.size() + " sha256=" + sha256(f));
        }
        return FileVisitResult.CONTINUE;
      }
    });
    return m;
  }

  private static String rel(Path root, Path p) {
    return root.relativize(p).toString();
  }

  private static String describe(Path p) throws IOException {
    int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    return String.format("mode=%04o ", mode) + mtime(p);
  }

  private static String mtime(Path p) throws IOException {
    return "mtime=" + Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant().truncatedTo(ChronoUnit.SECONDS);
  }

  static String sha256(Path f) throws IOException {
    try (InputStream in = Files.newInputStream(f)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[65536];
      int n;
      while ((n = in.read(buf)) >= 0) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  /** The entry names of a tar, in order. */
  static List<String> entries(Path tar) throws IOException {
    List<String> names = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(Files.newInputStream(tar), "UTF-8")) {
      TarArchiveEntry e;
      while ((e = in.getNextEntry()) != null) {
        names.add(e.getName());
      }
    }
    return names;
  }

  /** The directory's entries by name, to assert that nothing was added or removed. */
  static List<String> listing(Path dir) throws IOException {
    List<String> names = new ArrayList<>();
    try (var s = Files.list(dir)) {
      s.forEach(p -> names.add(p.getFileName().toString()));
    }
    names.sort(null);
    return names;
  }
}
