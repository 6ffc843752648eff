package io.backup4j.storage.s3;

import static io.backup4j.storage.s3.S3TestSupport.builder;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.BackupSink;
import io.backup4j.api.PartWriter;
import io.backup4j.api.Secret;
import io.backup4j.api.SinkFeature;
import io.backup4j.api.WriteMode;
import io.backup4j.testkit.s3.InProcessS3;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/** Storage classes, server-side encryption and Object Lock, as sent to and honoured by the in-process server. */
class S3FeaturesTest {
  @AutoClose static final InProcessS3 S3 = InProcessS3.start();
  static final String BUCKET = "features";
  static final int MIB = 1 << 20;
  static int prefixes;

  @BeforeAll
  static void bucket() {
    S3.createBucket(BUCKET);
  }

  static synchronized String newPrefix() {
    return "p" + (++prefixes);
  }

  /** Records the last write request per object key. */
  static final class Writes implements ExecutionInterceptor {
    final Map<String, SdkRequest> byKey = new ConcurrentHashMap<>();

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
      if (context.request() instanceof PutObjectRequest p) {
        byKey.put(p.key(), p);
      } else if (context.request() instanceof CreateMultipartUploadRequest c) {
        byKey.put(c.key(), c);
      }
    }

    String storageClass(String key) {
      SdkRequest r = byKey.get(key);
      String s = r instanceof PutObjectRequest p ? p.storageClassAsString()
          : ((CreateMultipartUploadRequest) r).storageClassAsString();
      return s == null ? "STANDARD" : s;
    }

    ServerSideEncryption sse(String key) {
      SdkRequest r = byKey.get(key);
      return r instanceof PutObjectRequest p ? p.serverSideEncryption()
          : ((CreateMultipartUploadRequest) r).serverSideEncryption();
    }
  }

  static void write(BackupSink sink, String key, int size) throws IOException {
    try (PartWriter w = sink.openWrite(key, WriteMode.OVERWRITE)) {
      S3TestSupport.writeRandom(w.stream(), size, size);
      w.commit();
    }
  }

  @Test
  void storageClassAppliesToLargeDataObjectsButNeverToSmallOnesCatalogLocksOrJson() throws IOException {
    Writes writes = new Writes();
    String prefix = newPrefix();
    try (S3Sink sink = builder(S3, BUCKET, prefix).storageClass("standard_ia").partSize(5 * MIB)
        .addExecutionInterceptor(writes).build()) {
      write(sink, "data/b1/big", 200 << 10);
      write(sink, "data/b1/multipart", 6 * MIB);
      write(sink, "data/b1/small", 1000);
      write(sink, "catalog/b1.json", 200 << 10);
      write(sink, "locks/set", 200 << 10);
      write(sink, "data/b1/meta.json", 200 << 10);
    }
    assertThat(writes.storageClass(prefix + "/data/b1/big")).isEqualTo("STANDARD_IA");
    assertThat(writes.storageClass(prefix + "/data/b1/multipart")).isEqualTo("STANDARD_IA");
    for (String small : List.of("data/b1/small", "catalog/b1.json", "locks/set", "data/b1/meta.json")) {
      assertThat(writes.storageClass(prefix + "/" + small)).as(small).isEqualTo("STANDARD");
    }
  }

  @Test
  void sseS3IsRequestedOnSingleAndMultipartWritesAndReadsBack() throws IOException {
    Writes writes = new Writes();
    String prefix = newPrefix();
    try (S3Sink sink = builder(S3, BUCKET, prefix).sseS3().partSize(5 * MIB).addExecutionInterceptor(writes)
        .build()) {
      write(sink, "a", 1000);
      write(sink, "b", 6 * MIB);
      try (InputStream in = sink.openRead("b")) {
        assertThat(in.readAllBytes()).hasSize(6 * MIB);
      }
    }
    assertThat(writes.sse(prefix + "/a")).isEqualTo(ServerSideEncryption.AES256);
    assertThat(writes.sse(prefix + "/b")).isEqualTo(ServerSideEncryption.AES256);
  }

  @Test
  void sseKmsSendsTheKeyId() throws IOException {
    Writes writes = new Writes();
    String prefix = newPrefix();
    try (S3Sink sink = builder(S3, BUCKET, prefix).sseKms("alias/backups").addExecutionInterceptor(writes).build()) {
      try {
        write(sink, "a", 10);
      } catch (RuntimeException e) {
        // s3proxy has no KMS; only the request is checked here
      }
    }
    PutObjectRequest put = (PutObjectRequest) writes.byKey.get(prefix + "/a");
    assertThat(put.serverSideEncryption()).isEqualTo(ServerSideEncryption.AWS_KMS);
    assertThat(put.ssekmsKeyId()).isEqualTo("alias/backups");
  }

  @Test
  void sseCustomerKeyRoundTripsAndIsNeededToRead() throws IOException {
    Secret key = Secret.of(Base64.getEncoder().encodeToString(new byte[] {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
        31, 32}));
    String prefix = newPrefix();
    try (S3Sink sink = builder(S3, BUCKET, prefix).sseCustomerKey(key).partSize(5 * MIB).build()) {
      write(sink, "c", 6 * MIB);
      write(sink, "d", 100);
      try (InputStream in = sink.openRead("c")) {
        assertThat(in.readAllBytes()).hasSize(6 * MIB);
      }
      assertThat(sink.stat("d")).isPresent();
    }
    Secret wrong = Secret.of(Base64.getEncoder().encodeToString(new byte[32]));
    try (S3Sink sink = builder(S3, BUCKET, prefix).sseCustomerKey(wrong).build()) {
      assertThatThrownBy(() -> sink.openRead("d").close()).isInstanceOf(io.backup4j.api.BackupException.class)
          .satisfies(e -> assertThat(S3SinkTest.stackText(e)).doesNotContain(new String(key.reveal()))
              .doesNotContain(new String(wrong.reveal())));
    }
  }

  /**
   * s3proxy implements neither Object Lock buckets nor retention, so the retention a real S3 would report is added to
   * the HEAD responses by an interceptor: the test checks what the sink sends and how it treats locked objects.
   */
  @Test
  void objectLockRetentionIsSentAndLockedObjectsAreNotDeleted() throws IOException {
    Instant until = Instant.now().plus(Duration.ofDays(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Writes writes = new Writes();
    ExecutionInterceptor reportRetention = new ExecutionInterceptor() {
      @Override
      public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        if (context.request() instanceof HeadObjectRequest h && h.key().contains("/data/")) {
          return context.httpResponse().toBuilder().putHeader("x-amz-object-lock-mode", "GOVERNANCE")
              .putHeader("x-amz-object-lock-retain-until-date", until.toString()).build();
        }
        return context.httpResponse();
      }
    };
    String prefix = newPrefix();
    try (S3Sink sink = builder(S3, BUCKET, prefix).objectLock(ObjectLockMode.GOVERNANCE, Duration.ofDays(1))
        .addExecutionInterceptor(writes).addExecutionInterceptor(reportRetention).build()) {
      assertThat(sink.features()).contains(SinkFeature.IMMUTABILITY);
      Instant before = Instant.now();
      write(sink, "data/b1/part", 1000);
      write(sink, "locks/set", 10);
      write(sink, "catalog/b1.json", 10);
      write(sink, "pending/b1.json", 10);
      PutObjectRequest part = (PutObjectRequest) writes.byKey.get(prefix + "/data/b1/part");
      assertThat(part.objectLockMode()).isEqualTo(ObjectLockMode.GOVERNANCE);
      assertThat(part.objectLockRetainUntilDate()).isBetween(before.plus(Duration.ofDays(1)).minusSeconds(5),
          Instant.now().plus(Duration.ofDays(1)));
      assertThat(((PutObjectRequest) writes.byKey.get(prefix + "/catalog/b1.json")).objectLockMode())
          .isEqualTo(ObjectLockMode.GOVERNANCE);
      assertThat(((PutObjectRequest) writes.byKey.get(prefix + "/locks/set")).objectLockMode())
          .as("lock files stay deletable").isNull();
      assertThat(((PutObjectRequest) writes.byKey.get(prefix + "/pending/b1.json")).objectLockMode())
          .as("in-flight markers stay deletable").isNull();
      sink.delete("pending/b1.json");

      assertThat(sink.retainedUntil("data/b1/part")).contains(until);
      assertThat(sink.retainedUntil("locks/set")).isEmpty();
      assertThat(sink.retainedUntil("data/missing")).isEmpty();
      assertThatThrownBy(() -> sink.deleteAll(List.of("data/b1/part", "locks/set", "catalog/b1.json")))
          .isInstanceOf(AccessDeniedException.class).hasMessageContaining("data/b1/part")
          .hasMessageContaining("Object Lock").hasMessageContaining(until.toString());
      assertThat(sink.stat("data/b1/part")).isPresent();
      assertThat(sink.stat("locks/set")).as("unlocked objects of the batch are deleted").isEmpty();
      assertThat(sink.stat("catalog/b1.json")).isEmpty();
    }
  }

  /**
   * A sink without {@code objectLockMode} (say, a prune job configured separately) on an Object Lock bucket still
   * refuses to delete retained objects: it asks the bucket once whether Object Lock is enabled.
   */
  @Test
  void deletesCheckRetentionWhenTheBucketHasObjectLockEvenIfTheSinkWasNotToldSo() throws IOException {
    Instant until = Instant.now().plus(Duration.ofDays(3)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    ExecutionInterceptor reportRetention = new ExecutionInterceptor() {
      @Override
      public SdkHttpResponse modifyHttpResponse(Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
        if (context.request() instanceof HeadObjectRequest h && h.key().contains("/data/")) {
          return context.httpResponse().toBuilder().putHeader("x-amz-object-lock-mode", "COMPLIANCE")
              .putHeader("x-amz-object-lock-retain-until-date", until.toString()).build();
        }
        return context.httpResponse();
      }
    };
    String prefix = newPrefix();
    try (FaultyHttpClient http = new FaultyHttpClient();
        S3Sink sink = builder(S3, BUCKET, prefix).httpClient(http).addExecutionInterceptor(reportRetention).build()) {
      write(sink, "data/b1/part", 10);
      write(sink, "other", 10);
      sink.delete("other");
      assertThat(http.attempts("GetObjectLockConfiguration")).as("s3proxy has no Object Lock: asked once").isOne();
    }
    try (FaultyHttpClient http = new FaultyHttpClient();
        S3Sink sink = builder(S3, BUCKET, prefix).httpClient(http).addExecutionInterceptor(reportRetention).build()) {
      http.rule(c -> c.operation().equals("GetObjectLockConfiguration") ? new FaultyHttpClient.Answer(
          "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>")
          : FaultyHttpClient.PASS);
      assertThat(sink.features()).doesNotContain(SinkFeature.IMMUTABILITY);
      assertThatThrownBy(() -> sink.delete("data/b1/part")).isInstanceOf(AccessDeniedException.class)
          .hasMessageContaining("data/b1/part").hasMessageContaining(until.toString());
      assertThat(sink.stat("data/b1/part")).isPresent();
    }
  }

  @Test
  void objectLockBucketOnAServerWithoutObjectLockIsAClearConfigurationError() {
    assertThatThrownBy(() -> builder(S3, "lockless-" + System.nanoTime(), "repo").createBucket(true)
        .objectLock(ObjectLockMode.COMPLIANCE, Duration.ofDays(7)).build())
        .isInstanceOf(io.backup4j.api.ConfigurationException.class).hasMessageContaining("Object Lock");
  }
}
