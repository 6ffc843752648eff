package io.backup4j.storage.s3;

import static io.backup4j.storage.s3.S3TestSupport.builder;
import static io.backup4j.storage.s3.S3TestSupport.digest;
import static io.backup4j.storage.s3.S3TestSupport.rawClient;
import static io.backup4j.storage.s3.S3TestSupport.writeRandom;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.AlreadyExistsException;
import io.backup4j.api.BackupSink;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.ObjectInfo;
import io.backup4j.api.PartWriter;
import io.backup4j.api.Secret;
import io.backup4j.api.SinkFeature;
import io.backup4j.api.WriteMode;
import io.backup4j.api.spi.SinkProvider;
import io.backup4j.testkit.s3.InProcessS3;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.s3.S3Client;

class S3SinkTest {
  @AutoClose static final InProcessS3 S3 = InProcessS3.start();
  static final String BUCKET = "sinktest";
  static int prefixes;

  @TempDir Path tmp;

  @BeforeAll
  static void bucket() {
    S3.createBucket(BUCKET);
  }

  static synchronized String newPrefix() {
    return "repo" + (++prefixes);
  }

  /** Counts SDK operations by name, to observe single PUT versus multipart. */
  static final class Counter implements ExecutionInterceptor {
    final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
      calls.computeIfAbsent(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME), k -> new AtomicInteger())
          .incrementAndGet();
    }

    int count(String operation) {
      AtomicInteger n = calls.get(operation);
      return n == null ? 0 : n.get();
    }
  }

  static void write(BackupSink sink, String key, byte[] data) throws IOException {
    try (PartWriter w = sink.openWrite(key, WriteMode.OVERWRITE)) {
      w.stream().write(data);
      w.commit();
    }
  }

  static byte[] read(BackupSink sink, String key) throws IOException {
    try (InputStream in = sink.openRead(key)) {
      return in.readAllBytes();
    }
  }

  @Test
  void smallObjectsGoUpAsOneSinglePutAndReadBack() throws IOException {
    Counter counter = new Counter();
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).addExecutionInterceptor(counter).build()) {
      write(sink, "empty", new byte[0]);
      write(sink, "one", new byte[] {42});
      write(sink, "catalog/x.json", "{\"a\":1}".getBytes(StandardCharsets.UTF_8));
      assertThat(read(sink, "empty")).isEmpty();
      assertThat(read(sink, "one")).containsExactly(42);
      assertThat(new String(read(sink, "catalog/x.json"), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");
      assertThat(counter.count("PutObject")).isEqualTo(3);
      assertThat(counter.count("CreateMultipartUpload")).isZero();
    }
  }

  @Test
  void largeStreamUsesMultipartWithGrowingPartsAndRoundTrips() throws IOException {
    Counter counter = new Counter();
    // 5 MiB parts (the S3 minimum, which s3proxy enforces too) doubling every part (maxParts=20 gives a step
    // of 1): 5 + 10 MiB, then the last 5.03 MiB; parts over memoryBuffer=6 MiB are spooled to tmp
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).partSize(5 << 20).maxParts(20).concurrency(3)
        .memoryBuffer(6 << 20).temporaryDirectory(tmp).addExecutionInterceptor(counter).build()) {
      byte[] sha;
      try (PartWriter w = sink.openWrite("data/big", WriteMode.OVERWRITE)) {
        sha = writeRandom(w.stream(), 21_000_000, 7);
        w.commit();
      }
      try (InputStream in = sink.openRead("data/big")) {
        assertThat(digest(in)).isEqualTo(sha);
      }
      assertThat(sink.stat("data/big")).map(ObjectInfo::size).contains(21_000_000L);
      assertThat(counter.count("CreateMultipartUpload")).isEqualTo(1);
      assertThat(counter.count("UploadPart")).isEqualTo(3);
      assertThat(counter.count("CompleteMultipartUpload")).isEqualTo(1);
      assertThat(counter.count("PutObject")).isZero();
    }
    // parts above memoryBuffer were spooled to the temporary directory and deleted afterwards
    try (Stream<Path> left = java.nio.file.Files.list(tmp)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void sdkDefaultChecksumsAlsoWorkAgainstS3proxy() throws IOException {
    // AWS mode: CRC32 trailers in aws-chunked bodies on PUT and UploadPart; s3proxy 4.x understands them
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).checksums(S3Sink.ChecksumMode.WHEN_SUPPORTED)
        .partSize(5 << 20).build()) {
      byte[] sha;
      try (PartWriter w = sink.openWrite("data/crc", WriteMode.OVERWRITE)) {
        sha = writeRandom(w.stream(), 6_000_000, 3);
        w.commit();
      }
      try (InputStream in = sink.openRead("data/crc")) {
        assertThat(digest(in)).isEqualTo(sha);
      }
      write(sink, "small", new byte[] {1, 2, 3});
      assertThat(read(sink, "small")).containsExactly(1, 2, 3);
    }
  }

  @Test
  void objectOfExactlyOnePartIsASinglePut() throws IOException {
    Counter counter = new Counter();
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).partSize(5 << 20).addExecutionInterceptor(counter).build()) {
      write(sink, "exact", new byte[5 << 20]);
      assertThat(read(sink, "exact")).hasSize(5 << 20);
      assertThat(counter.count("PutObject")).isEqualTo(1);
      assertThat(counter.count("CreateMultipartUpload")).isZero();
    }
  }

  @Test
  void writerClosedWithoutCommitAbortsTheMultipartUploadAndLeavesNothing() throws IOException {
    String prefix = newPrefix();
    try (S3Sink sink = builder(S3, BUCKET, prefix).partSize(5 << 20).build();
        S3Client raw = rawClient(S3)) {
      try (PartWriter w = sink.openWrite("data/aborted", WriteMode.OVERWRITE)) {
        writeRandom(w.stream(), 6_000_000, 1);
        assertThat(raw.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix + "/")).uploads()).hasSize(1);
      }
      assertThat(sink.stat("data/aborted")).isEmpty();
      assertThat(raw.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix + "/")).uploads()).isEmpty();
      assertThat(sink.list("")).isEmpty();
    }
  }

  @Test
  void writerClosedByAnInterruptedThreadStillAbortsItsMultipartUpload() throws IOException {
    // an application cancelling a backup with Future.cancel(true) interrupts the thread that closes the part writers
    String prefix = newPrefix();
    try (S3Sink sink = builder(S3, BUCKET, prefix).partSize(5 << 20).build();
        S3Client raw = rawClient(S3)) {
      PartWriter w = sink.openWrite("data/cancelled", WriteMode.OVERWRITE);
      writeRandom(w.stream(), 11_000_000, 1);
      assertThat(raw.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix + "/")).uploads()).hasSize(1);
      Thread.currentThread().interrupt();
      try {
        w.close();
        assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is kept for the caller").isTrue();
      } finally {
        Thread.interrupted();
      }
      assertThat(raw.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix + "/")).uploads())
          .as("multipart uploads left").isEmpty();
      assertThat(sink.stat("data/cancelled")).isEmpty();
    }
  }

  @Test
  void spoolFileIsDeletedWhenTheTemporaryDirectoryRunsOutOfSpace() throws IOException {
    // a full temporary file system (an in-memory one with a size limit): the spool write fails, and so does the
    // flush when the writer is closed; the partial spool file must still be deleted, or every failed backup leaves
    // the disk fuller than before
    try (java.nio.file.FileSystem small = com.google.common.jimfs.Jimfs.newFileSystem(
        com.google.common.jimfs.Configuration.unix().toBuilder().setAttributeViews("basic", "owner", "posix", "unix")
            .setMaxSize(2 << 20).build())) {
      Path spool = small.getPath("/spool");
      try (S3Sink sink = builder(S3, BUCKET, newPrefix()).partSize(5 << 20).memoryBuffer(1 << 20)
          .temporaryDirectory(spool).build()) {
        PartWriter w = sink.openWrite("data/full", WriteMode.OVERWRITE);
        try {
          assertThatThrownBy(() -> writeRandom(w.stream(), 4 << 20, 1)).isInstanceOf(IOException.class)
              .hasMessageContaining("space");
        } finally {
          w.close();
        }
        try (Stream<Path> left = java.nio.file.Files.list(spool)) {
          assertThat(left).as("spool files left").isEmpty();
        }
        assertThat(sink.stat("data/full")).isEmpty();
      }
    }
  }

  @Test
  void nothingIsVisibleBeforeCommit() throws IOException {
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).build();
        PartWriter w = sink.openWrite("pending", WriteMode.OVERWRITE)) {
      w.stream().write(new byte[1000]);
      assertThat(sink.stat("pending")).isEmpty();
      w.commit();
      assertThat(sink.stat("pending")).map(ObjectInfo::size).contains(1000L);
    }
  }

  @Test
  void overwriteReplacesTheObject() throws IOException {
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).build()) {
      write(sink, "k", "first".getBytes(StandardCharsets.UTF_8));
      write(sink, "k", "second".getBytes(StandardCharsets.UTF_8));
      assertThat(new String(read(sink, "k"), StandardCharsets.UTF_8)).isEqualTo("second");
    }
  }

  @Test
  void createOnlyFailsWhenTheKeyExistsWithConditionalWrites() throws IOException {
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).partSize(5 << 20).build()) {
      write(sink, "catalog/b1.json", "one".getBytes(StandardCharsets.UTF_8));
      boolean atomic = sink.features().contains(SinkFeature.CONDITIONAL_CREATE);
      assertCreateOnlyRejected(sink, "catalog/b1.json", 3);
      // a multipart create-only write is rejected as well
      write(sink, "data/big", new byte[6_000_000]);
      assertCreateOnlyRejected(sink, "data/big", 6_000_000);
      assertThat(read(sink, "catalog/b1.json")).asString(StandardCharsets.UTF_8).isEqualTo("one");
      System.out.println("s3proxy honours If-None-Match: " + atomic);
    }
  }

  @Test
  void createOnlyFallsBackToCheckThenWriteWhenConditionalWritesAreOff() throws IOException {
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).conditionalWrites(S3Sink.ConditionalWrites.OFF).build()) {
      assertThat(sink.features()).doesNotContain(SinkFeature.CONDITIONAL_CREATE);
      try (PartWriter w = sink.openWrite("catalog/b2.json", WriteMode.CREATE_ONLY)) {
        w.stream().write("mine".getBytes(StandardCharsets.UTF_8));
        // another writer commits first: the check just before the commit catches it
        write(sink, "catalog/b2.json", "theirs".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(w::commit).isInstanceOf(AlreadyExistsException.class).hasMessageContaining("catalog/b2.json");
      }
      assertThat(read(sink, "catalog/b2.json")).asString(StandardCharsets.UTF_8).isEqualTo("theirs");
      assertThatThrownBy(() -> sink.openWrite("catalog/b2.json", WriteMode.CREATE_ONLY))
          .isInstanceOf(AlreadyExistsException.class);
    }
  }

  private static void assertCreateOnlyRejected(BackupSink sink, String key, int size) throws IOException {
    try (PartWriter w = sink.openWrite(key, WriteMode.CREATE_ONLY)) {
      w.stream().write(new byte[size]);
      assertThatThrownBy(w::commit).isInstanceOf(AlreadyExistsException.class).hasMessageContaining(key);
    } catch (AlreadyExistsException e) {
      // without conditional writes the sink rejects at open already
      assertThat(e).hasMessageContaining(key);
    }
  }

  @Test
  void concurrentCreateOnlyWritersOfOneKeyHaveExactlyOneWinner() throws Exception {
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).build()) {
      List<PartWriter> writers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        PartWriter w = sink.openWrite("catalog/race.json", WriteMode.CREATE_ONLY);
        w.stream().write(("writer" + i).getBytes(StandardCharsets.UTF_8));
        writers.add(w);
      }
      int won = 0;
      for (PartWriter w : writers) {
        try (w) {
          w.commit();
          won++;
        } catch (AlreadyExistsException e) {
          // lost the race
        }
      }
      assertThat(won).isEqualTo(1);
      assertThat(read(sink, "catalog/race.json")).asString(StandardCharsets.UTF_8).isEqualTo("writer0");
    }
  }

  @Test
  void rangedReadsReturnTheRequestedBytes() throws IOException {
    byte[] data = new byte[10_000];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (i * 31);
    }
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).build()) {
      write(sink, "r", data);
      try (InputStream in = sink.openRead("r", 100, 50)) {
        assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(data, 100, 150));
      }
      try (InputStream in = sink.openRead("r", 9_990, 100)) {
        assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(data, 9_990, 10_000));
      }
      try (InputStream in = sink.openRead("r", 20_000, 10)) {
        assertThat(in.readAllBytes()).isEmpty();
      }
      try (InputStream in = sink.openRead("r", 5, 0)) {
        assertThat(in.readAllBytes()).isEmpty();
      }
      assertThatThrownBy(() -> sink.openRead("missing", 0, 10)).isInstanceOf(NotFoundException.class);
      assertThatThrownBy(() -> sink.openRead("missing", 0, 0)).isInstanceOf(NotFoundException.class);
      assertThat(sink.features()).contains(SinkFeature.RANGED_READ);
    }
  }

  @Test
  void closingAReadEarlyDoesNotBreakTheSink() throws IOException {
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).build()) {
      write(sink, "big", new byte[3 << 20]);
      for (int i = 0; i < 60; i++) {
        try (InputStream in = sink.openRead("big")) {
          assertThat(in.read()).isZero();
        }
      }
      assertThat(read(sink, "big")).hasSize(3 << 20);
    }
  }

  @Test
  void listingIsSortedPaginatedAndRelativeToThePrefix() throws IOException {
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).listPageSize(7).build()) {
      List<String> keys = IntStream.range(0, 40).mapToObj(i -> String.format("data/%03d", i)).toList();
      for (String k : keys) {
        write(sink, k, new byte[] {1, 2});
      }
      write(sink, "catalog/a.json", new byte[] {1});
      try (Stream<ObjectInfo> s = sink.list("data/")) {
        assertThat(s.map(ObjectInfo::key).toList()).isEqualTo(keys);
      }
      try (Stream<ObjectInfo> s = sink.list("")) {
        assertThat(s.count()).isEqualTo(41);
      }
      try (Stream<ObjectInfo> s = sink.list("data/01")) {
        assertThat(s.map(ObjectInfo::key)).containsExactly("data/010", "data/011", "data/012", "data/013",
            "data/014", "data/015", "data/016", "data/017", "data/018", "data/019");
      }
      try (Stream<ObjectInfo> s = sink.list("nothing/")) {
        assertThat(s).isEmpty();
      }
    }
  }

  @Test
  void deleteAllRemovesInBatchesAndIgnoresMissingKeys() throws IOException {
    Counter counter = new Counter();
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).addExecutionInterceptor(counter).build()) {
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 1005; i++) {
        keys.add("d/" + i);
      }
      // 1005 objects written directly to keep the test quick: only the delete is under test
      try (S3Client raw = rawClient(S3)) {
        keys.parallelStream().forEach(k -> raw.putObject(b -> b.bucket(BUCKET).key(sink.objectKey(k)),
            software.amazon.awssdk.core.sync.RequestBody.fromBytes(new byte[] {1})));
      }
      List<String> toDelete = new ArrayList<>(keys);
      toDelete.add("d/never-written");
      sink.deleteAll(toDelete);
      assertThat(counter.count("DeleteObjects")).isEqualTo(2);
      try (Stream<ObjectInfo> s = sink.list("")) {
        assertThat(s).isEmpty();
      }
      sink.delete("d/never-written");
    }
  }

  @Test
  void missingObjectsAreNotFound() throws IOException {
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).build()) {
      assertThatThrownBy(() -> sink.openRead("nope")).isInstanceOf(NotFoundException.class)
          .hasMessageContaining("nope");
      assertThat(sink.stat("nope")).isEmpty();
    }
  }

  @Test
  void invalidKeysAreRejectedBeforeAnyRequest() throws IOException {
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).build()) {
      for (String bad : List.of("../x", "/abs", "a//b", "a/./b", "ctl\u0001", "back\\slash", "")) {
        assertThatThrownBy(() -> sink.openWrite(bad, WriteMode.OVERWRITE)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> sink.openRead(bad)).isInstanceOf(ConfigurationException.class);
        assertThatThrownBy(() -> sink.delete(bad)).isInstanceOf(ConfigurationException.class);
      }
    }
  }

  @Test
  void providerIsFoundThroughServiceLoaderAndOpensTheFixtureUri() throws IOException {
    SinkProvider provider = ServiceLoader.load(SinkProvider.class).stream().map(ServiceLoader.Provider::get)
        .filter(p -> p.name().equals("s3")).findFirst().orElseThrow();
    assertThat(provider.sensitiveOptions()).contains("accessKey", "secretKey", "sseCustomerKey");
    String prefix = newPrefix();
    try (BackupSink sink = provider.open(URI.create(S3.uri(BUCKET, prefix) + "&partSize=5MiB&concurrency=2"),
        S3.options(), true, new TestContext(tmp))) {
      assertThat(sink.describe()).startsWith("s3://" + BUCKET + "/" + prefix).doesNotContain(S3.secretKey());
      write(sink, "x", new byte[6_000_000]);
      assertThat(read(sink, "x")).hasSize(6_000_000);
    }
    // not creating: an existing repository opens, a missing one is NotFound
    try (BackupSink sink = provider.open(URI.create(S3.uri(BUCKET, prefix)), S3.options(), false,
        new TestContext(tmp))) {
      assertThat(sink.stat("x")).isPresent();
    }
    assertThatThrownBy(() -> provider.open(URI.create(S3.uri(BUCKET, "no-such-repo")), S3.options(), false,
        new TestContext(tmp))).isInstanceOf(NotFoundException.class).hasMessageContaining("no-such-repo");
  }

  @Test
  void credentialsCanComeFromProviderContextSecrets() throws IOException {
    SinkProvider provider = new S3SinkProvider();
    TestContext ctx = new TestContext(tmp, Map.of("s3.accessKey", Secret.of(S3.accessKey()),
        "s3.secretKey", Secret.of(S3.secretKey())), Map.of());
    try (BackupSink sink = provider.open(URI.create(S3.uri(BUCKET, newPrefix())), Map.of(), true, ctx)) {
      write(sink, "k", new byte[] {1});
      assertThat(read(sink, "k")).containsExactly(1);
    }
  }

  @Test
  void credentialsCanComeFromTheApplicationSuppliedEnvironment() throws IOException {
    TestContext ctx = new TestContext(tmp, Map.of(), Map.of("AWS_ACCESS_KEY_ID", S3.accessKey(),
        "AWS_SECRET_ACCESS_KEY", S3.secretKey()));
    try (BackupSink sink = new S3SinkProvider().open(URI.create(S3.uri(BUCKET, newPrefix())), Map.of(), true, ctx)) {
      write(sink, "k", new byte[] {2});
      assertThat(read(sink, "k")).containsExactly(2);
    }
  }

  @Test
  void secretsInTheUriAreRefusedWithoutEchoingThem() {
    String uri = S3.uri(BUCKET, "p") + "&accessKey=" + S3.accessKey() + "&secretKey=" + S3.secretKey();
    assertThatThrownBy(() -> new S3SinkProvider().open(URI.create(uri), Map.of(), true, new TestContext(tmp)))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("must not be part of the s3: URI")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(S3.secretKey()));
  }

  @Test
  void wrongSecretIsAccessDeniedWithoutTheSecretInTheMessage() {
    SinkProvider provider = new S3SinkProvider();
    String wrong = "WrongSecretValue-1234567890";
    Map<String, String> options = new HashMap<>(S3.options());
    options.put("secretKey", wrong);
    assertThatThrownBy(() -> provider.open(URI.create(S3.uri(BUCKET, "p")), options, true, new TestContext(tmp)))
        .isInstanceOf(AccessDeniedException.class)
        .satisfies(e -> assertThat(stackText(e)).doesNotContain(wrong).doesNotContain(S3.secretKey()));
  }

  @Test
  void missingBucketIsNotFoundUnlessCreateBucketIsSet() throws IOException {
    assertThatThrownBy(() -> builder(S3, "no-such-bucket", "p").build()).isInstanceOf(NotFoundException.class)
        .hasMessageContaining("no-such-bucket").hasMessageContaining("createBucket=true");
    try (S3Sink sink = builder(S3, "created-bucket", "p").createBucket(true).build()) {
      write(sink, "k", new byte[] {1});
      assertThat(sink.stat("k")).isPresent();
    }
  }

  @Test
  void badOptionsAreConfigurationErrorsNamingTheOption() {
    SinkProvider provider = new S3SinkProvider();
    TestContext ctx = new TestContext(tmp);
    assertThatThrownBy(() -> provider.open(URI.create(S3.uri(BUCKET, "p") + "&partSise=8M"), S3.options(), true, ctx))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("partSise");
    assertThatThrownBy(() -> provider.open(URI.create(S3.uri(BUCKET, "p") + "&partSize=lots"), S3.options(), true,
        ctx)).isInstanceOf(ConfigurationException.class).hasMessageContaining("partSize");
    assertThatThrownBy(() -> provider.open(URI.create(S3.uri(BUCKET, "p") + "&sse=rot13"), S3.options(), true, ctx))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("sse");
    assertThatThrownBy(() -> provider.open(URI.create("s3://AKIA:secretvalue@" + BUCKET + "/p"), Map.of(), true, ctx))
        .isInstanceOf(ConfigurationException.class).satisfies(e -> assertThat(e.getMessage())
            .doesNotContain("secretvalue"));
    assertThatThrownBy(() -> S3Sink.builder(BUCKET).partSize(1 << 20).build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("5 MiB");
    assertThatThrownBy(() -> provider.open(URI.create(S3.uri(BUCKET, "p") + "&objectLockMode=compliance"),
        S3.options(), true, ctx)).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("objectLockRetention");
  }

  @Test
  void cleanupAbortsStaleMultipartUploadsUnderThePrefixOnly() throws IOException {
    String prefix = newPrefix();
    try (S3Sink sink = builder(S3, BUCKET, prefix).build(); S3Client raw = rawClient(S3)) {
      raw.createMultipartUpload(b -> b.bucket(BUCKET).key(prefix + "/data/crashed"));
      raw.createMultipartUpload(b -> b.bucket(BUCKET).key("elsewhere/data/other"));
      assertThat(sink.cleanup(Duration.ofHours(1))).isZero();
      assertThat(sink.cleanup(Duration.ofSeconds(-5))).isEqualTo(1);
      assertThat(raw.listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix + "/")).uploads()).isEmpty();
      assertThat(raw.listMultipartUploads(b -> b.bucket(BUCKET).prefix("elsewhere/")).uploads()).hasSize(1);
    }
  }

  @Test
  void secretsNeverAppearInDescriptionsOrToString() throws IOException {
    Secret sseKey = Secret.of(java.util.Base64.getEncoder().encodeToString(new byte[32]));
    try (S3Sink sink = builder(S3, BUCKET, newPrefix()).build()) {
      assertThat(sink.describe() + sink + sink.config).doesNotContain(S3.secretKey());
    }
    assertThat(S3Sink.builder(BUCKET).sseCustomerKey(sseKey).toString()).doesNotContain(new String(sseKey.reveal()));
  }

  static String stackText(Throwable e) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    e.printStackTrace(new java.io.PrintStream(out, true, StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }
}
