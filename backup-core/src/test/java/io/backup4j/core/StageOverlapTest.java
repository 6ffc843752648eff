package io.backup4j.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.backup4j.api.Manifest;
import io.backup4j.api.PartInfo;
import io.backup4j.api.Transform;
import io.backup4j.api.TransformSpec;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The stages of a part run at the same time, each on its own thread behind a bounded buffer: while a later stage is
 * stalled, an earlier one keeps accepting bytes. In an engine that ran the chain on the source's thread, the first
 * stage could not receive its second write while the second stage is blocked in its first, and this test would
 * hang until its liveness bound and fail.
 *
 * <p>The two transforms are identity stages recorded as {@code xor} with key 0, so the backup restores through the
 * ordinary provider and is compared with the source.
 */
class StageOverlapTest {
  private static final int CHUNK = 300 * 1024;

  private MemorySink sink;
  private Backups backups;

  @BeforeEach
  void setUp() {
    sink = new MemorySink();
    backups = Backups.builder().sink(sink).build();
    TestSources.RESTORED.clear();
  }

  /** An identity transform whose encoder calls {@code onWrite} before passing each write on. */
  private static Transform stage(Set<Thread> threads, WriteHook onWrite) {
    return new Transform() {
      @Override
      public TransformSpec spec() {
        return new TransformSpec("xor", Map.of("with", "0"));
      }

      @Override
      public OutputStream encode(OutputStream downstream) {
        return new FilterOutputStream(downstream) {
          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            threads.add(Thread.currentThread());
            onWrite.beforeWrite();
            out.write(b, off, len);
          }
        };
      }

      @Override
      public InputStream decode(InputStream upstream) {
        return upstream;
      }
    };
  }

  interface WriteHook {
    void beforeWrite() throws IOException;
  }

  @Test
  void anEarlierStageKeepsWorkingWhileALaterStageIsStalled() throws Exception {
    Set<Thread> first = ConcurrentHashMap.newKeySet();
    Set<Thread> second = ConcurrentHashMap.newKeySet();
    CountDownLatch firstGotTwoWrites = new CountDownLatch(2);
    AtomicBoolean secondSawTheFirstStageGoOn = new AtomicBoolean();
    AtomicBoolean secondWaited = new AtomicBoolean();

    Transform a = stage(first, firstGotTwoWrites::countDown);
    Transform b = stage(second, () -> {
      if (secondWaited.compareAndSet(false, true)) {
        try {
          // liveness bound only: in a pipelined engine this returns as soon as the first stage's second write arrives
          secondSawTheFirstStageGoOn.set(firstGotTwoWrites.await(60, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException();
        }
      }
    });

    Set<Thread> sourceThread = ConcurrentHashMap.newKeySet();
    byte[] data = TestSources.data("part-0", 4 * CHUNK, 3);
    Manifest m = backups.backup(BackupJob.builder().transform(a).transform(b).source(TestSources.source("overlap",
        session -> {
          sourceThread.add(Thread.currentThread());
          try (var w = session.openPart("part-0")) {
            for (int off = 0; off < data.length; off += CHUNK) {
              w.stream().write(data, off, CHUNK); // larger than the engine's front buffer: passed on as it comes
            }
            w.commit();
          }
        })).build());

    assertThat(secondSawTheFirstStageGoOn).as("the first stage received a second write while the second was stalled")
        .isTrue();
    assertThat(first).as("the first stage's thread(s)").doesNotContainAnyElementsOf(sourceThread);
    assertThat(second).as("the second stage's thread(s)").doesNotContainAnyElementsOf(sourceThread)
        .doesNotContainAnyElementsOf(first);

    PartInfo p = m.part("part-0").orElseThrow();
    assertThat(p.rawSize()).isEqualTo(data.length);
    backups.restore(m.id(), RestoreJob.builder("overlap").build());
    assertThat(TestSources.RESTORED.get("overlap").get("part-0")).isEqualTo(data);
  }
}
