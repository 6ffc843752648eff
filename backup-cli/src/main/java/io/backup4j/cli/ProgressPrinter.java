package io.backup4j.cli;

import io.backup4j.api.BackupEvent;
import io.backup4j.api.BackupListener;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Shows progress on a terminal: a one-line bar redrawn in place (with percentage when the size is known), warnings
 * on their own lines. When stderr is not a terminal it prints only warnings, so logs stay clean.
 */
final class ProgressPrinter implements BackupListener {
  private final PrintStream err;
  private final boolean terminal;
  private final long startNanos = System.nanoTime();
  private final Map<String, long[]> parts = new ConcurrentHashMap<>();
  private long lastDraw;
  private boolean drawn;

  ProgressPrinter(PrintStream err, boolean terminal) {
    this.err = err;
    this.terminal = terminal;
  }

  @Override
  public synchronized void onEvent(BackupEvent event) {
    if (event instanceof BackupEvent.Warning w) {
      clearLine();
      err.println("warning: " + w.message());
    } else if (event instanceof BackupEvent.PartStarted p) {
      parts.put(p.part(), new long[] {0, p.expectedBytes()});
    } else if (event instanceof BackupEvent.PartProgress p) {
      parts.put(p.part(), new long[] {p.bytes(), p.expectedBytes()});
      draw(p.part(), false);
    } else if (event instanceof BackupEvent.PartFinished p) {
      parts.put(p.part().name(), new long[] {p.part().rawSize(), p.part().rawSize()});
      draw(p.part().name(), true);
    } else if (event instanceof BackupEvent.Finished || event instanceof BackupEvent.Failed) {
      clearLine();
    }
  }

  private void draw(String part, boolean force) {
    if (!terminal) {
      return;
    }
    long now = System.nanoTime();
    if (!force && now - lastDraw < 200_000_000L) {
      return;
    }
    lastDraw = now;
    long done = 0;
    long total = 0;
    boolean known = true;
    for (long[] v : parts.values()) {
      done += v[0];
      if (v[1] < 0) {
        known = false;
      } else {
        total += v[1];
      }
    }
    double seconds = Math.max(0.001, (now - startNanos) / 1e9);
    String rate = human((long) (done / seconds)) + "/s";
    String line;
    if (known && total > 0) {
      int width = 30;
      int filled = (int) Math.min(width, width * done / total);
      line = String.format(Locale.ROOT, "[%s%s] %3d%% %s of %s, %s  %s", "=".repeat(filled), " ".repeat(width - filled),
          100 * done / total, human(done), human(total), rate, part);
    } else {
      line = String.format(Locale.ROOT, "%s, %s  %s", human(done), rate, part);
    }
    err.print("\r" + (line.length() > 100 ? line.substring(0, 100) : line) + "\u001b[K");
    err.flush();
    drawn = true;
  }

  private void clearLine() {
    if (terminal && drawn) {
      err.print("\r\u001b[K");
      err.flush();
      drawn = false;
    }
  }

  static String human(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
