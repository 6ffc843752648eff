package io.backup4j.crypto;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/** Runs the real gpg binary in a private home directory; passphrases go through stdin, never argv. */
final class Gpg implements AutoCloseable {
  final Path home;

  Gpg(Path home) throws IOException {
    this.home = Files.createDirectories(home);
    Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwx------"));
  }

  static boolean installed() {
    try {
      Process p = new ProcessBuilder("gpg", "--version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Result of one gpg run. */
  record Result(int exit, String stderr) {}

  /** Runs gpg with {@code stdin} (may be null) and returns its exit code and stderr. */
  Result run(@Nullable String stdin, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("gpg", "--homedir", home.toString(), "--batch", "--no-tty",
        "--pinentry-mode", "loopback"));
    cmd.addAll(List.of(args));
    Path err = Files.createTempFile(home, "stderr", ".txt");
    Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .start();
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) {
        in.write((stdin + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("gpg did not finish within 120 s: " + cmd);
    }
    return new Result(p.exitValue(), Files.readString(err));
  }

  Result runOk(@Nullable String stdin, String... args) throws IOException, InterruptedException {
    Result r = run(stdin, args);
    if (r.exit() != 0) {
      throw new AssertionError("gpg " + String.join(" ", args) + " exited " + r.exit() + ": " + r.stderr());
    }
    return r;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    // stop the agent this home started; it is ours alone (its socket lives in the home directory)
    new ProcessBuilder("gpgconf", "--homedir", home.toString(), "--kill", "gpg-agent")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(30, TimeUnit.SECONDS);
  }
}
