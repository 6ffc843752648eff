package io.backup4j.postgres;

import io.backup4j.api.Redaction;
import io.backup4j.api.Secret;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A child process (pg_dump, pg_restore, psql) started from an argument list (never a shell string), whose stderr is
 * drained on its own thread into a bounded tail that can be shown, redacted, in an error message. Without the drain a
 * chatty child ({@code --verbose}) would fill the pipe and block forever.
 */
final class ChildProcess implements AutoCloseable {
  private static final int TAIL_LINES = 40;
  private static final int MAX_LINE = 500;
  private static final String[] SCRUBBED_ENV = {"PGPASSWORD", "PGSERVICE", "PGSERVICEFILE",
      "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGOPTIONS", "PGSSLMODE", "PGREQUIRESSL"};

  private final String name;
  private final Process process;
  private final Thread stderrThread;
  private final Deque<String> tail = new ArrayDeque<>();
  private final @Nullable Secret password;
  private volatile boolean killed;

  private ChildProcess(String name, Process process, @Nullable Consumer<String> onLine, @Nullable Secret password) {
    this.name = name;
    this.process = process;
    this.password = password;
    this.stderrThread = new Thread(() -> drain(onLine), name + "-stderr");
    stderrThread.setDaemon(true);
    stderrThread.start();
  }

  /**
   * Starts a child.
   *
   * @param env variables to set; libpq variables inherited from this process are removed first so only the given
   *     connection is used
   * @param stdout where stdout goes; {@code null} for a pipe read through {@link #stdout()}
   * @param password the password, only to scrub it from stderr should a child ever echo it
   */
  static ChildProcess start(List<String> command, Map<String, String> env, @Nullable Path stdout,
      @Nullable Consumer<String> onStderrLine, @Nullable Secret password) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command);
    Map<String, String> e = pb.environment();
    for (String v : SCRUBBED_ENV) {
      e.remove(v);
    }
    e.putAll(env);
    // messages are parsed (--verbose progress) and shown to users: ask for English
    e.remove("LC_ALL"); // would override LC_MESSAGES
    e.put("LC_MESSAGES", "C");
    e.remove("LANGUAGE");
    if (stdout != null) {
      pb.redirectOutput(stdout.toFile());
    }
    Process p = pb.start();
    String exe = Path.of(command.get(0)).getFileName().toString();
    return new ChildProcess(exe, p, onStderrLine, password);
  }

  private void drain(@Nullable Consumer<String> onLine) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        String clean = scrub(line);
        synchronized (tail) {
          if (tail.size() == TAIL_LINES) {
            tail.removeFirst();
          }
          tail.addLast(clean.length() > MAX_LINE ? clean.substring(0, MAX_LINE) + "..." : clean);
        }
        if (onLine != null) {
          try {
            onLine.accept(clean);
          } catch (RuntimeException ignored) {
            // progress reporting must never stop the drain (a blocked stderr pipe would hang the child)
          }
        }
      }
    } catch (IOException ignored) {
      // the child died; its exit code tells the story
    }
  }

  private String scrub(String line) {
    String s = Redaction.redact(line);
    if (password != null && password.length() >= 4) {
      String pw = new String(password.reveal());
      s = s.replace(pw, "****");
    }
    return s;
  }

  String name() {
    return name;
  }

  /** The child's stdout (when not redirected to a file). */
  InputStream stdout() {
    return process.getInputStream();
  }

  /** The child's stdin. */
  OutputStream stdin() {
    return process.getOutputStream();
  }

  long pid() {
    return process.pid();
  }

  /** Waits for the child to exit and for its stderr to be drained; returns the exit code. */
  int waitFor() throws IOException {
    try {
      int rc = process.waitFor();
      stderrThread.join(TimeUnit.SECONDS.toMillis(10));
      return rc;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill();
      throw new java.io.InterruptedIOException(name + " was interrupted");
    }
  }

  /** Kills the child (and its own children, e.g. pg_dump's parallel workers). */
  void kill() {
    killed = true;
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
  }

  boolean wasKilled() {
    return killed;
  }

  /** The last lines the child wrote to stderr, redacted, joined by newlines. */
  String stderrTail() {
    List<String> copy;
    synchronized (tail) {
      copy = new ArrayList<>(tail);
    }
    return String.join("\n", copy);
  }

  /** A description of how the child ended, for error messages. */
  String describeExit(int rc) {
    String how = rc > 128 && rc < 160 ? "was killed by signal " + (rc - 128) : "exited with code " + rc;
    if (killed) {
      how = "was stopped";
    }
    String err = stderrTail();
    return name + " " + how + (err.isBlank() ? " and wrote nothing to stderr" : ":\n" + err);
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      kill();
    }
    try {
      process.getInputStream().close();
    } catch (IOException ignored) {
      // best effort
    }
    try {
      process.getOutputStream().close();
    } catch (IOException ignored) {
      // best effort: the child may have gone already
    }
  }
}
