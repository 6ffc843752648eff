package io.backup4j.storage.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.BackupSink;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.ObjectInfo;
import io.backup4j.api.PartWriter;
import io.backup4j.api.WriteMode;
import io.backup4j.testkit.TestProviderContext;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A writer process killed with SIGKILL mid-write leaves nothing visible, and its temporary file is cleaned later. */
class KilledWriterTest {
  @TempDir Path tmp;

  /** Runs in a forked JVM: writes part of an object, reports READY, then waits to be killed. */
  public static void main(String[] args) throws Exception {
    BackupSink sink = new LocalSinkProvider().open(Path.of(args[0]).toUri(), Map.of(), true,
        TestProviderContext.of(Path.of(args[0]).getParent()));
    PartWriter w = sink.openWrite(args[1], WriteMode.OVERWRITE);
    w.stream().write(new byte[1024 * 1024]);
    w.stream().flush();
    System.out.println("READY");
    System.out.flush();
    Thread.sleep(TimeUnit.MINUTES.toMillis(5));
  }

  @Test
  void writerKilledMidWriteLeavesNoObjectAndItsTemporaryFileIsRemovedOnceStale() throws Exception {
    Path root = tmp.resolve("repo");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process p = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
        KilledWriterTest.class.getName(), root.toString(), "data/b1/part-0"))
        .redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null && !line.equals("READY")) {
        // skip anything else the child prints (SLF4J notices)
      }
      assertThat(line).as("the child reached the middle of its write").isEqualTo("READY");
      p.destroyForcibly(); // SIGKILL on POSIX: no shutdown hooks, no close()
      assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
    } finally {
      p.destroyForcibly();
    }

    List<Path> temps;
    try (Stream<Path> s = Files.walk(root)) {
      temps = s.filter(f -> f.getFileName().toString().startsWith(LocalSink.TEMP_PREFIX)).collect(Collectors.toList());
    }
    assertThat(temps).as("the killed writer's temporary file").hasSize(1);

    try (BackupSink sink = new LocalSinkProvider().open(root.toUri(), Map.of(), false, TestProviderContext.of(tmp))) {
      assertThat(sink.stat("data/b1/part-0")).isEmpty();
      try (Stream<ObjectInfo> s = sink.list("")) {
        assertThat(s).isEmpty();
      }
      assertThatThrownBy(() -> sink.openRead("data/b1/part-0")).isInstanceOf(NotFoundException.class);
    }
    assertThat(temps.get(0)).as("a fresh temporary file may belong to a running writer and is kept").exists();

    Files.setLastModifiedTime(temps.get(0), FileTime.from(Instant.now().minus(Duration.ofHours(25))));
    new LocalSinkProvider().open(root.toUri(), Map.of(), false, TestProviderContext.of(tmp)).close();
    assertThat(temps.get(0)).as("removed once older than 24 hours").doesNotExist();
  }
}
