package io.backup4j.storage.s3;

import static io.backup4j.storage.s3.S3TestSupport.builder;
import static io.backup4j.storage.s3.S3TestSupport.rawClient;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.backup4j.api.AlreadyExistsException;
import io.backup4j.api.Manifest;
import io.backup4j.api.PartWriter;
import io.backup4j.api.SinkException;
import io.backup4j.api.SinkFeature;
import io.backup4j.api.WriteMode;
import io.backup4j.core.BackupJob;
import io.backup4j.core.Backups;
import io.backup4j.testkit.s3.InProcessS3;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * What docs/s3.md promises about servers without conditional writes ({@code If-None-Match: *}): with
 * {@code conditionalWrites=auto} a server that ignores the header is found by the probe, warned about once, and
 * create-only writes fall back to check-then-write, which still refuses a second writer of a key; with
 * {@code conditionalWrites=true} (the URI's {@code on}) a server that rejects the header with 501 fails the write with
 * a message naming the option, leaving nothing behind.
 */
class S3ConditionalWritesTest {
  @AutoClose static final InProcessS3 S3 = InProcessS3.start();
  static final String BUCKET = "conditional";
  static final int MIB = 1 << 20;
  static int prefixes;

  @TempDir Path dir;
  String prefix;
  S3Client raw;
  ListAppender<ILoggingEvent> log;
  Logger sinkLogger;

  @BeforeAll
  static void bucket() {
    S3.createBucket(BUCKET);
  }

  @BeforeEach
  void open() {
    prefix = "c" + (++prefixes);
    raw = rawClient(S3);
    sinkLogger = (Logger) LoggerFactory.getLogger(S3Sink.class);
    log = new ListAppender<>();
    log.start();
    sinkLogger.addAppender(log);
  }

  @AfterEach
  void close() {
    sinkLogger.detachAppender(log);
    raw.close();
  }

  /**
   * Makes the in-process server ignore {@code If-None-Match} by removing the header before the request is signed
   * (removing it from the signed request on the wire would fail the signature instead): what the server sees is a
   * plain PUT or Complete, as an older MinIO or Ceph would treat it.
   */
  static final class IgnoreIfNoneMatch implements ExecutionInterceptor {
    final AtomicInteger stripped = new AtomicInteger();

    @Override
    public SdkHttpRequest modifyHttpRequest(Context.ModifyHttpRequest context, ExecutionAttributes attributes) {
      SdkHttpRequest r = context.httpRequest();
      if (r.firstMatchingHeader("If-None-Match").isEmpty()) {
        return r;
      }
      stripped.incrementAndGet();
      return r.toBuilder().removeHeader("If-None-Match").build();
    }
  }

  private List<String> warnings(S3Sink sink) {
    return log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.contains(sink.describe())).toList();
  }

  private List<String> keys() {
    return raw.listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix + "/")).contents().stream()
        .map(S3Object::key).toList();
  }

  private static void write(S3Sink sink, String key, WriteMode mode, byte[] data) throws IOException {
    try (PartWriter w = sink.openWrite(key, mode)) {
      w.stream().write(data);
      w.commit();
    }
  }

  private static String read(S3Sink sink, String key) throws IOException {
    try (InputStream in = sink.openRead(key)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private void assertNoUploadLeft() {
    assertThat(raw.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix + "/")).uploads())
        .as("multipart uploads left under the prefix").isEmpty();
  }

  @Test
  void serverIgnoringIfNoneMatchIsProbedWarnedAboutOnceAndCreateOnlyStillRefusesASecondWriter() throws IOException {
    IgnoreIfNoneMatch ignore = new IgnoreIfNoneMatch();
    try (S3Sink sink = builder(S3, BUCKET, prefix).partSize(5 * MIB).addExecutionInterceptor(ignore).build()) {
      assertThat(sink.features()).as("the probe found no support").doesNotContain(SinkFeature.CONDITIONAL_CREATE);
      assertThat(ignore.stripped.get()).as("the probe's two create-only PUTs").isEqualTo(2);
      assertThat(keys()).as("the probe object is deleted").noneMatch(k -> k.contains(".backup4j-probe-"));
      assertThat(warnings(sink)).singleElement().asString().contains("does not honour If-None-Match")
          .contains("check-then-write");

      write(sink, "catalog/b1.json", WriteMode.CREATE_ONLY, "one".getBytes(StandardCharsets.UTF_8));
      // a second writer that comes later is refused before it uploads anything
      assertThatThrownBy(() -> sink.openWrite("catalog/b1.json", WriteMode.CREATE_ONLY))
          .isInstanceOf(AlreadyExistsException.class).hasMessageContaining("catalog/b1.json");
      assertThat(read(sink, "catalog/b1.json")).isEqualTo("one");

      // one that opened before the other committed is refused by the check just before its own commit, single PUT
      // and multipart alike, and its upload is aborted
      for (int size : new int[] {100, 6 * MIB}) {
        String key = "catalog/race-" + size + ".json";
        try (PartWriter w = sink.openWrite(key, WriteMode.CREATE_ONLY)) {
          w.stream().write(new byte[size]);
          write(sink, key, WriteMode.CREATE_ONLY, "theirs".getBytes(StandardCharsets.UTF_8));
          assertThatThrownBy(w::commit).isInstanceOf(AlreadyExistsException.class).hasMessageContaining(key);
        }
        assertThat(read(sink, key)).as(key).isEqualTo("theirs");
      }
      assertNoUploadLeft();
      assertThat(ignore.stripped.get()).as("after the probe, the sink no longer relies on the header").isEqualTo(2);

      assertThat(warnings(sink)).as("the warning is logged once per sink").hasSize(1);
    }
  }

  @Test
  void engineCommitsBackupsThroughTheCheckThenWriteFallback() throws IOException {
    IgnoreIfNoneMatch ignore = new IgnoreIfNoneMatch();
    Path tree = Files.createDirectories(dir.resolve("tree"));
    Files.writeString(tree.resolve("f.txt"), "x");
    try (S3Sink sink = builder(S3, BUCKET, prefix).addExecutionInterceptor(ignore).build();
        Backups backups = Backups.builder().sink(sink).temporaryDirectory(dir.resolve("tmp")).build()) {
      Manifest first = backups.backup(BackupJob.builder().source("files:" + tree).build());
      Manifest second = backups.backup(BackupJob.builder().source("files:" + tree).build());
      assertThat(backups.list()).extracting(Manifest::id).containsExactly(first.id(), second.id());
      assertThat(sink.features()).doesNotContain(SinkFeature.CONDITIONAL_CREATE);
      assertThat(warnings(sink)).hasSize(1);
      assertThat(keys()).contains(prefix + "/catalog/" + first.id() + ".json", prefix + "/catalog/" + second.id()
          + ".json").noneMatch(k -> k.contains(".backup4j-probe-"));
    }
  }

  /** A server that rejects {@code If-None-Match} outright, as some S3-compatible stores do. */
  private static FaultyHttpClient rejectingIfNoneMatch() {
    FaultyHttpClient http = new FaultyHttpClient();
    http.rule(c -> c.request().firstMatchingHeader("If-None-Match").isPresent()
        ? new FaultyHttpClient.Error(501, "NotImplemented") : FaultyHttpClient.PASS);
    return http;
  }

  @Test
  void conditionalWritesOnAgainstAServerAnswering501FailsCreateOnlyWritesNamingTheOption() throws IOException {
    try (FaultyHttpClient http = rejectingIfNoneMatch();
        S3Sink sink = builder(S3, BUCKET, prefix).partSize(5 * MIB).conditionalWrites(S3Sink.ConditionalWrites.ON)
            .httpClient(http).build()) {
      assertThat(sink.features()).as("trusted without a probe").contains(SinkFeature.CONDITIONAL_CREATE);
      assertThat(http.attempts("PutObject")).as("no probe").isZero();
      for (int size : new int[] {100, 6 * MIB}) {
        String key = "catalog/on-" + size + ".json";
        try (PartWriter w = sink.openWrite(key, WriteMode.CREATE_ONLY)) {
          w.stream().write(new byte[size]);
          assertThatThrownBy(w::commit).isInstanceOf(SinkException.class).isNotInstanceOf(AlreadyExistsException.class)
              .hasMessageContaining(key).hasMessageContaining("does not implement If-None-Match")
              .hasMessageContaining("conditionalWrites=false or auto");
        }
        assertThat(sink.stat(key)).as(key).isEmpty();
      }
      assertNoUploadLeft();
      // writes that replace (parts, markers) carry no header and still work
      write(sink, "data/part", WriteMode.OVERWRITE, "ok".getBytes(StandardCharsets.UTF_8));
      assertThat(read(sink, "data/part")).isEqualTo("ok");
    }
  }

  @Test
  void autoAgainstAServerAnswering501FallsBackToCheckThenWrite() throws IOException {
    try (FaultyHttpClient http = rejectingIfNoneMatch();
        S3Sink sink = builder(S3, BUCKET, prefix).httpClient(http).build()) {
      assertThat(sink.features()).doesNotContain(SinkFeature.CONDITIONAL_CREATE);
      assertThat(warnings(sink)).singleElement().asString().contains("does not honour If-None-Match");
      write(sink, "catalog/b1.json", WriteMode.CREATE_ONLY, "one".getBytes(StandardCharsets.UTF_8));
      assertThat(read(sink, "catalog/b1.json")).isEqualTo("one");
      assertThatThrownBy(() -> sink.openWrite("catalog/b1.json", WriteMode.CREATE_ONLY))
          .isInstanceOf(AlreadyExistsException.class);
      assertThat(keys()).noneMatch(k -> k.contains(".backup4j-probe-"));
    }
  }
}
