package io.backup4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.backup4j.api.AlreadyExistsException;
import io.backup4j.api.BackupSink;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.ErrorCode;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.ObjectInfo;
import io.backup4j.api.PartWriter;
import io.backup4j.api.Redaction;
import io.backup4j.api.SinkFeature;
import io.backup4j.api.StorageKeys;
import io.backup4j.api.WriteMode;
import io.backup4j.api.spi.Provider;
import io.backup4j.api.spi.SinkProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The behaviour every {@link BackupSink} must have, as a JUnit 5 suite a storage plugin extends with one factory
 * method:
 *
 * <pre>{@code
 * class MySinkConformanceTest extends BackupSinkConformanceTest {
 *   @Override protected BackupSink newSink() { return new MySink(freshEmptyRepository()); }
 *   @Override protected String expectedScheme() { return "my"; }
 *   @Override protected Set<SinkFeature> expectedFeatures() { return Set.of(SinkFeature.RANGED_READ); }
 * }
 * }</pre>
 *
 * <p>It covers round trips at several sizes and stream shapes (whole, one byte at a time, random chunks) up to a large
 * object streamed without being held in memory, ranged reads, stat, listing order and prefixes across more than one
 * page of 1,000 keys, delete and batch delete, overwrite and create-only semantics, atomicity of aborted and failed
 * writes, error types, key validation, concurrent writers and discovery through {@link ServiceLoader}. Optional
 * features the sink does not claim are skipped with the reason stated.
 *
 * <p>Each test gets a sink from {@link #newSink()} on a fresh, empty repository and closes it afterwards.
 */
public abstract class BackupSinkConformanceTest {
  private static final int MIB = 1024 * 1024;

  private @Nullable BackupSink sink;

  /** A directory JUnit creates for each test and deletes afterwards, for sinks that need one. */
  @TempDir
  protected @Nullable Path temporaryDirectory;

  /**
   * Returns a new sink on a fresh, empty repository. Called once per test; the suite closes the sink after the test.
   *
   * <p>It is called from the suite's own {@code @BeforeEach}, which JUnit runs before the subclass's
   * {@code @BeforeEach} methods: start servers in a {@code @BeforeAll} method or inside this method.
   */
  protected abstract BackupSink newSink() throws Exception;

  /**
   * The optional features {@link BackupSink#features()} must report exactly. By default none: a sink that claims a
   * feature declares it here, and the suite then tests it.
   */
  protected Set<SinkFeature> expectedFeatures() {
    return Set.of();
  }

  /**
   * The URI scheme whose {@link SinkProvider} must be discoverable through {@link ServiceLoader}, or {@code null} to
   * skip that check (a sink that is only ever constructed directly).
   */
  protected @Nullable String expectedScheme() {
    return null;
  }

  /**
   * A URI the provider of {@link #expectedScheme()} can open (with {@code create=true}), used to check that unknown
   * options are refused; {@code null} skips that check.
   */
  protected @Nullable URI repositoryUri() {
    return null;
  }

  /**
   * A second sink on the same repository as the current test's {@link #sink()} (the engine opens a repository anew
   * for each backup, list and restore), or {@code null} to skip the tests that need one.
   */
  protected @Nullable BackupSink newSinkOnSameRepository() throws Exception {
    return null;
  }

  /** The size of the large object streamed through the sink; at least 100 MiB unless the storage cannot hold it. */
  protected long largeObjectSize() {
    return 100L * MIB;
  }

  /**
   * Whether the storage itself keeps objects in this JVM's heap (an in-memory store, or a server running in-process
   * on an in-memory store). Then the heap grows with every object stored whatever the sink buffers, and the
   * bounded-memory test is skipped with that reason; check the sink's memory another way (e.g. in a child JVM with a
   * small {@code -Xmx}).
   */
  protected boolean storageKeepsObjectsInThisHeap() {
    return false;
  }

  /**
   * The most the live heap may grow while the large object of {@link #largeObjectSize()} is written and read back:
   * a quarter of the object by default. A sink that buffers more (several upload parts in flight) returns its own
   * bound, which must stay well below the object size for the test to mean anything.
   */
  protected long largeObjectHeapBudget() {
    return largeObjectSize() / 4;
  }

  /** How many keys the listing test writes; more than 1,000 so that one page of an S3 listing is not enough. */
  protected int manyKeysCount() {
    return 1_200;
  }

  /**
   * How many bytes a write holds when it is aborted in the atomicity tests; large enough that a sink uploading in
   * parts (S3 multipart, 5 MiB minimum part size) has already sent a part.
   */
  protected long abortedWriteSize() {
    return 6L * MIB;
  }

  /**
   * The length of the longest key the round-trip test stores: {@link StorageKeys#MAX_LENGTH} by default. A sink that
   * stores keys below a prefix of its own (an S3 prefix shares the 1,024-byte key limit) may return less, but not less
   * than 255.
   */
  protected int longestKeyLength() {
    return StorageKeys.MAX_LENGTH;
  }

  /** How many threads the concurrency tests use. */
  protected int concurrency() {
    return 8;
  }

  /** The sink under test in the current test. */
  protected final BackupSink sink() {
    return Objects.requireNonNull(sink, "no sink: newSink() has not been called yet");
  }

  @BeforeEach
  final void openSinkUnderTest() throws Exception {
    sink = Objects.requireNonNull(newSink(), "newSink() returned null");
  }

  @AfterEach
  final void closeSinkUnderTest() throws Exception {
    if (sink != null) {
      sink.close();
      sink = null;
    }
  }

  // ------------------------------------------------------------------------------------------------------- shapes

  /** How a test feeds bytes to a writer or takes them from a reader. */
  public enum Shape {
    /** One call with the whole array. */
    WHOLE,
    /** {@code write(int)} / {@code read()} per byte. */
    ONE_BYTE_AT_A_TIME,
    /** Chunks of random length between 1 byte and 100 KiB. */
    RANDOM_CHUNKS
  }

  static Stream<Arguments> sizesAndShapes() {
    List<Arguments> args = new ArrayList<>();
    for (int size : new int[] {0, 1, 65_537, MIB}) {
      for (Shape shape : Shape.values()) {
        args.add(Arguments.of(size, shape));
      }
    }
    return args.stream();
  }

  // --------------------------------------------------------------------------------------------------- round trip

  @ParameterizedTest(name = "{0} bytes, {1}")
  @MethodSource("io.backup4j.testkit.BackupSinkConformanceTest#sizesAndShapes")
  public void committedBytesReadBackIdentically(int size, Shape shape) throws IOException {
    byte[] data = randomBytes(size, size * 31L + shape.ordinal());
    write("round/trip.bin", data, WriteMode.OVERWRITE, shape);

    assertThat(read("round/trip.bin", shape)).as("bytes read back").isEqualTo(data);
    assertThat(sink().stat("round/trip.bin")).map(ObjectInfo::size).contains((long) size);
  }

  @Test
  public void largeObjectStreamsThroughAndReadsBackWithTheSameHash() throws IOException {
    long size = largeObjectSize();
    long seed = 42;
    MessageDigest written = sha256();
    Random chunks = new Random(7);
    byte[] buffer = new byte[256 * 1024];
    try (InputStream in = new GeneratedData(seed, size); PartWriter w = sink().openWrite("large/object", WriteMode.OVERWRITE)) {
      OutputStream out = w.stream();
      // Varying chunk sizes cross the sink's buffer and part boundaries at many different offsets.
      int n;
      while ((n = in.read(buffer, 0, 1 + chunks.nextInt(buffer.length))) > 0) {
        written.update(buffer, 0, n);
        out.write(buffer, 0, n);
      }
      w.commit();
    }

    assertThat(sink().stat("large/object")).map(ObjectInfo::size).contains(size);
    MessageDigest read = sha256();
    long total = 0;
    try (InputStream in = sink().openRead("large/object")) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        read.update(buffer, 0, n);
        total += n;
      }
    }
    assertThat(total).as("bytes read back").isEqualTo(size);
    assertThat(HexFormat.of().formatHex(read.digest())).as("SHA-256 of the bytes read back")
        .isEqualTo(HexFormat.of().formatHex(written.digest()));

    // A range deep inside the object, across a generator block boundary, reads exactly those bytes.
    long offset = size / 2 - 1000;
    try (InputStream in = sink().openRead("large/object", offset, 5000)) {
      assertThat(in.readAllBytes()).isEqualTo(GeneratedData.slice(seed, size, offset, 5000));
    }
  }

  /**
   * A sink must not hold an object in memory while writing or reading it: the live heap (measured after a forced
   * full GC, so garbage does not count) may grow by at most {@link #largeObjectHeapBudget()} while the large object is
   * written, just before its commit, and while it is read back.
   */
  @Test
  public void largeObjectIsWrittenAndReadWithBoundedHeap() throws IOException {
    assumeThat(storageKeepsObjectsInThisHeap()).as("the storage keeps its objects in this JVM's heap "
        + "(storageKeepsObjectsInThisHeap()), so the heap says nothing about what the sink buffers").isFalse();
    Optional<String> unusable = HeapSampler.unusableBecause();
    assumeThat(unusable).as(unusable.orElse("")).isEmpty();
    long size = largeObjectSize();
    long budget = largeObjectHeapBudget();
    assertThat(budget).as("largeObjectHeapBudget() must be well below largeObjectSize() to mean anything")
        .isPositive().isLessThanOrEqualTo(size / 2);
    long seed = 43;
    byte[] buffer = new byte[256 * 1024];
    try (InputStream in = new GeneratedData(seed, size)) {
      HeapSampler heap = new HeapSampler();
      try (PartWriter w = sink().openWrite("large/bounded", WriteMode.OVERWRITE)) {
        OutputStream out = w.stream();
        long written = 0;
        long nextSample = size / 4;
        int n;
        while ((n = in.read(buffer)) > 0) {
          out.write(buffer, 0, n);
          written += n;
          if (written >= nextSample && written < size) {
            heap.sample("after writing " + written + " bytes");
            nextSample += size / 4;
          }
        }
        // a sink that buffers the whole object until commit holds the most right here
        heap.sample("after writing all " + size + " bytes, before commit");
        w.commit();
      }
      long read = 0;
      try (InputStream stored = sink().openRead("large/bounded")) {
        int n;
        boolean sampled = false;
        while ((n = stored.read(buffer)) > 0) {
          read += n;
          if (!sampled && read >= size / 2) {
            heap.sample("after reading " + read + " bytes");
            sampled = true;
          }
        }
      }
      assertThat(read).as("bytes read back").isEqualTo(size);
      assertThat(heap.peakGrowth()).as("growth of the live heap (at most at %s) while writing and reading a %d-byte "
          + "object; the sink seems to hold it in memory", heap.peakAt(), size).isLessThanOrEqualTo(budget);
    }
  }

  @Test
  public void keysWithSpacesUnicodeAndPunctuationRoundTrip() throws IOException {
    int longest = longestKeyLength();
    assertThat(longest).as("longestKeyLength()").isBetween(255, StorageKeys.MAX_LENGTH);
    List<String> keys = List.of(
        "dir with space/file name.txt",
        "unicode/\u00fc\u00e9\u00df-\u65e5\u672c-\u0416",
        "punct/a+b%20c&d=e~f'g(h)i,j;k@l$m!n#o[p]q{r}s^t`u",
        "dots/.hidden/..double-dot-name/...",
        longKey(longest));
    for (String key : keys) {
      assertThat(StorageKeys.isValid(key)).as("test key is valid: %s", key).isTrue();
      write(key, key.getBytes(StandardCharsets.UTF_8), WriteMode.OVERWRITE, Shape.WHOLE);
    }
    for (String key : keys) {
      assertThat(read(key, Shape.WHOLE)).as("content of %s", key).isEqualTo(key.getBytes(StandardCharsets.UTF_8));
      assertThat(sink().stat(key)).as("stat of %s", key).isPresent();
    }
    assertThat(listKeys("")).containsExactlyElementsOf(sorted(keys));
  }

  // -------------------------------------------------------------------------------------------------- ranged read

  private byte[] writeRangeObject() throws IOException {
    byte[] data = randomBytes(200_000, 99);
    write("range/object", data, WriteMode.OVERWRITE, Shape.WHOLE);
    return data;
  }

  @Test
  public void rangeAtTheStartReturnsExactlyThoseBytes() throws IOException {
    byte[] data = writeRangeObject();
    assertThat(readRange("range/object", 0, 1000)).isEqualTo(slice(data, 0, 1000));
  }

  @Test
  public void rangeInTheMiddleReturnsExactlyThoseBytes() throws IOException {
    byte[] data = writeRangeObject();
    assertThat(readRange("range/object", 70_000, 100_000)).isEqualTo(slice(data, 70_000, 100_000));
  }

  @Test
  public void rangeEndingAtTheLastByteReturnsTheTail() throws IOException {
    byte[] data = writeRangeObject();
    assertThat(readRange("range/object", data.length - 10, 10)).isEqualTo(slice(data, data.length - 10, 10));
  }

  @Test
  public void rangeRunningPastTheEndReturnsTheRestOfTheObject() throws IOException {
    byte[] data = writeRangeObject();
    assertThat(readRange("range/object", data.length - 10, 1000)).isEqualTo(slice(data, data.length - 10, 10));
    assertThat(readRange("range/object", 5, Long.MAX_VALUE - 5)).isEqualTo(slice(data, 5, data.length - 5));
  }

  @Test
  public void rangeStartingAtOrPastTheEndIsEmpty() throws IOException {
    byte[] data = writeRangeObject();
    assertThat(readRange("range/object", data.length, 10)).isEmpty();
    assertThat(readRange("range/object", data.length + 1000L, 10)).isEmpty();
  }

  @Test
  public void zeroLengthRangeIsEmpty() throws IOException {
    writeRangeObject();
    assertThat(readRange("range/object", 0, 0)).isEmpty();
    assertThat(readRange("range/object", 500, 0)).isEmpty();
  }

  @Test
  public void rangeOfAnEmptyObjectIsEmpty() throws IOException {
    write("range/empty", new byte[0], WriteMode.OVERWRITE, Shape.WHOLE);
    assertThat(readRange("range/empty", 0, 100)).isEmpty();
  }

  @Test
  public void rangedReadsReadByteByByteMatchTheObject() throws IOException {
    byte[] data = writeRangeObject();
    try (InputStream in = sink().openRead("range/object", 1234, 3000)) {
      assertThat(drain(in, Shape.ONE_BYTE_AT_A_TIME)).isEqualTo(slice(data, 1234, 3000));
    }
  }

  // --------------------------------------------------------------------------------------------------------- stat

  @Test
  public void statReportsTheSizeAndARecentModificationTime() throws IOException {
    Instant before = Instant.now();
    write("stat/object", randomBytes(12_345, 1), WriteMode.OVERWRITE, Shape.WHOLE);

    ObjectInfo info = sink().stat("stat/object").orElseThrow();
    assertThat(info.key()).isEqualTo("stat/object");
    assertThat(info.size()).isEqualTo(12_345);
    // Generous bounds: storage clocks (S3 servers) may be skewed and round to whole seconds.
    assertThat(info.lastModified()).isBetween(before.minus(Duration.ofMinutes(15)), Instant.now().plus(Duration.ofMinutes(15)));
  }

  @Test
  public void statOfAMissingKeyIsEmpty() throws IOException {
    assertThat(sink().stat("stat/missing")).isEmpty();
  }

  @Test
  public void statOfAPrefixThatIsNotAnObjectIsEmpty() throws IOException {
    write("stat/dir/object", new byte[] {1}, WriteMode.OVERWRITE, Shape.WHOLE);
    assertThat(sink().stat("stat/dir")).isEmpty();
    assertThatThrownBy(() -> sink().openRead("stat/dir")).isInstanceOf(NotFoundException.class);
  }

  @Test
  public void keysBelowAnObjectsNameAreMissingNotErrors() throws IOException {
    // Object stores allow "obj" and "obj/below" side by side, file systems do not; both must treat the second as
    // simply missing while only the first exists.
    write("obj", new byte[] {1}, WriteMode.OVERWRITE, Shape.WHOLE);
    assertThat(sink().stat("obj/below")).isEmpty();
    assertThatThrownBy(() -> sink().openRead("obj/below").close()).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> sink().openRead("obj/below", 0, 1).close()).isInstanceOf(NotFoundException.class);
    sink().delete("obj/below");
    assertThat(listKeys("obj/")).isEmpty();
    assertThat(listKeys("obj/below/")).isEmpty();
    assertThat(listKeys("")).containsExactly("obj");
  }

  // --------------------------------------------------------------------------------------------------------- list

  @Test
  public void listingAnEmptyRepositoryReturnsNothing() throws IOException {
    assertThat(listKeys("")).isEmpty();
    assertThat(listKeys("no/such/prefix/")).isEmpty();
    assertThat(listKeys("no-such-prefix")).isEmpty();
  }

  @Test
  public void listingManyKeysReturnsEveryKeyOnceInAscendingOrderAndBatchDeleteRemovesThem() throws Exception {
    int count = manyKeysCount();
    List<String> keys = IntStream.range(0, count).mapToObj(i -> String.format("many/%05d", i))
        .collect(Collectors.toCollection(ArrayList::new));
    // Written in shuffled order, so that a listing in creation order is not mistaken for sorted.
    Collections.shuffle(keys, new Random(3));
    runConcurrently(Math.min(concurrency(), 8), keys.size(), i -> {
      String key = keys.get(i);
      write(key, new byte[Integer.parseInt(key.substring(5)) % 7], WriteMode.OVERWRITE, Shape.WHOLE);
      return null;
    });
    write("other/after", new byte[1], WriteMode.OVERWRITE, Shape.WHOLE);
    write("before", new byte[1], WriteMode.OVERWRITE, Shape.WHOLE);
    List<String> expected = sorted(keys);

    List<ObjectInfo> listed;
    try (Stream<ObjectInfo> s = sink().list("many/")) {
      listed = s.collect(Collectors.toList());
    }
    assertThat(listed).extracting(ObjectInfo::key).containsExactlyElementsOf(expected);
    for (ObjectInfo info : listed) {
      assertThat(info.size()).as("size of %s", info.key()).isEqualTo(Integer.parseInt(info.key().substring(5)) % 7);
    }
    List<String> all = new ArrayList<>(expected);
    all.add(0, "before");
    all.add("other/after");
    assertThat(listKeys("")).containsExactlyElementsOf(all);
    assertThat(listKeys("many/010")).containsExactlyElementsOf(
        expected.stream().filter(k -> k.startsWith("many/010")).collect(Collectors.toList()));

    try (Stream<ObjectInfo> s = sink().list("many/")) {
      assertThat(s.limit(3)).as("a listing abandoned after a few keys").extracting(ObjectInfo::key)
          .containsExactlyElementsOf(expected.subList(0, 3));
    }

    sink().deleteAll(keys);
    assertThat(listKeys("many/")).isEmpty();
    assertThat(listKeys("")).containsExactly("before", "other/after");
  }

  @Test
  public void listingOrdersKeysByStringComparisonNotByDirectoryStructure() throws IOException {
    // '-' < '.' < '/' < '0' < 'B' < 'a': a depth-first directory walk that sorts names per directory gets this wrong.
    List<String> keys = List.of("a/b", "a-b", "a.b", "a0", "ab", "a/c/d", "a/c-d", "B", "b", "\u00e9", "z/z");
    for (String key : keys) {
      write(key, key.getBytes(StandardCharsets.UTF_8), WriteMode.OVERWRITE, Shape.WHOLE);
    }
    assertThat(listKeys("")).containsExactlyElementsOf(sorted(keys));
    assertThat(listKeys("a")).containsExactly("a-b", "a.b", "a/b", "a/c-d", "a/c/d", "a0", "ab");
    assertThat(listKeys("a/")).containsExactly("a/b", "a/c-d", "a/c/d");
    assertThat(listKeys("a/c")).containsExactly("a/c-d", "a/c/d");
    assertThat(listKeys("a/c/")).containsExactly("a/c/d");
    assertThat(listKeys("a/c/d")).as("a prefix equal to a key lists that key").containsExactly("a/c/d");
    assertThat(listKeys("z/")).containsExactly("z/z");
    assertThat(listKeys("zz")).isEmpty();
  }

  @Test
  public void listedObjectsReportTheirSizes() throws IOException {
    write("sizes/empty", new byte[0], WriteMode.OVERWRITE, Shape.WHOLE);
    write("sizes/small", new byte[3], WriteMode.OVERWRITE, Shape.WHOLE);
    write("sizes/medium", new byte[70_000], WriteMode.OVERWRITE, Shape.WHOLE);
    try (Stream<ObjectInfo> s = sink().list("sizes/")) {
      assertThat(s.collect(Collectors.toMap(ObjectInfo::key, ObjectInfo::size)))
          .containsExactlyInAnyOrderEntriesOf(Map.of("sizes/empty", 0L, "sizes/small", 3L, "sizes/medium", 70_000L));
    }
  }

  @Test
  public void listingRejectsAnInvalidPrefix() {
    for (String prefix : List.of("../", "/abs", "a//", "a/../b", "a\\b", "a\u0000")) {
      assertThatThrownBy(() -> sink().list(prefix).close()).as("prefix %s", printable(prefix))
          .isInstanceOf(ConfigurationException.class);
    }
  }

  // ------------------------------------------------------------------------------------------------------- delete

  @Test
  public void deletedObjectIsGoneFromStatListAndRead() throws IOException {
    write("del/object", new byte[] {1, 2, 3}, WriteMode.OVERWRITE, Shape.WHOLE);
    sink().delete("del/object");

    assertThat(sink().stat("del/object")).isEmpty();
    assertThat(listKeys("")).isEmpty();
    assertThatThrownBy(() -> sink().openRead("del/object")).isInstanceOf(NotFoundException.class);
  }

  @Test
  public void deletingAMissingKeyIsNotAnError() throws IOException {
    sink().delete("del/never-written");
    sink().delete("never-written");
    assertThat(listKeys("")).isEmpty();
  }

  @Test
  public void deletingOneObjectLeavesItsNeighboursAlone() throws IOException {
    write("del/a", new byte[] {1}, WriteMode.OVERWRITE, Shape.WHOLE);
    write("del/b", new byte[] {2}, WriteMode.OVERWRITE, Shape.WHOLE);
    write("del/sub/c", new byte[] {3}, WriteMode.OVERWRITE, Shape.WHOLE);
    sink().delete("del/a");
    assertThat(listKeys("")).containsExactly("del/b", "del/sub/c");
    assertThat(read("del/b", Shape.WHOLE)).containsExactly(2);
  }

  @Test
  public void deletingAPrefixThatIsNotAnObjectDeletesNothing() throws IOException {
    write("del/sub/c", new byte[] {3}, WriteMode.OVERWRITE, Shape.WHOLE);
    sink().delete("del/sub");
    sink().delete("del");
    assertThat(listKeys("")).containsExactly("del/sub/c");
  }

  @Test
  public void deleteAllRemovesEveryGivenKeyAndIgnoresMissingOnes() throws IOException {
    for (String key : List.of("batch/1", "batch/2", "batch/3", "keep")) {
      write(key, new byte[] {9}, WriteMode.OVERWRITE, Shape.WHOLE);
    }
    sink().deleteAll(List.of("batch/1", "batch/missing", "batch/3", "missing/too"));
    assertThat(listKeys("")).containsExactly("batch/2", "keep");
    sink().deleteAll(List.of());
    assertThat(listKeys("")).containsExactly("batch/2", "keep");
  }

  @Test
  public void aDeletedKeyCanBeWrittenAgain() throws IOException {
    write("again/object", new byte[] {1}, WriteMode.CREATE_ONLY, Shape.WHOLE);
    sink().delete("again/object");
    write("again/object", new byte[] {2}, WriteMode.CREATE_ONLY, Shape.WHOLE);
    assertThat(read("again/object", Shape.WHOLE)).containsExactly(2);
  }

  // ---------------------------------------------------------------------------------------------------- overwrite

  @Test
  public void overwriteReplacesTheWholeObject() throws IOException {
    write("ow/object", randomBytes(100_000, 1), WriteMode.OVERWRITE, Shape.WHOLE);
    write("ow/object", randomBytes(300_000, 2), WriteMode.OVERWRITE, Shape.WHOLE);
    byte[] last = randomBytes(10, 3);
    write("ow/object", last, WriteMode.OVERWRITE, Shape.WHOLE);

    assertThat(read("ow/object", Shape.WHOLE)).as("no bytes of longer earlier versions remain").isEqualTo(last);
    assertThat(sink().stat("ow/object")).map(ObjectInfo::size).contains(10L);
    assertThat(listKeys("")).containsExactly("ow/object");
  }

  @Test
  public void overwriteIsInvisibleUntilCommit() throws IOException {
    byte[] v1 = randomBytes(1000, 1);
    byte[] v2 = randomBytes(2000, 2);
    write("ow/object", v1, WriteMode.OVERWRITE, Shape.WHOLE);
    try (PartWriter w = sink().openWrite("ow/object", WriteMode.OVERWRITE)) {
      w.stream().write(v2);
      w.stream().flush();
      assertThat(read("ow/object", Shape.WHOLE)).as("old version while the new one is uncommitted").isEqualTo(v1);
      assertThat(sink().stat("ow/object")).map(ObjectInfo::size).contains(1000L);
      w.commit();
    }
    assertThat(read("ow/object", Shape.WHOLE)).isEqualTo(v2);
  }

  @Test
  public void createOnlyWritesANewKey() throws IOException {
    write("co/object", new byte[] {1, 2}, WriteMode.CREATE_ONLY, Shape.WHOLE);
    assertThat(read("co/object", Shape.WHOLE)).containsExactly(1, 2);
  }

  @Test
  public void createOnlyFailsWithAlreadyExistsWhenTheKeyExistsAndKeepsTheOriginal() throws IOException {
    byte[] original = randomBytes(5000, 1);
    write("co/object", original, WriteMode.OVERWRITE, Shape.WHOLE);

    Throwable thrown = catchThrowable(() -> write("co/object", randomBytes(100, 2), WriteMode.CREATE_ONLY, Shape.WHOLE));

    assertThat(thrown).isInstanceOf(AlreadyExistsException.class);
    assertThat(((AlreadyExistsException) thrown).code()).isEqualTo(ErrorCode.ALREADY_EXISTS);
    assertThat(thrown.getMessage()).contains("co/object");
    assertThat(read("co/object", Shape.WHOLE)).isEqualTo(original);
    assertThat(listKeys("")).containsExactly("co/object");
  }

  @Test
  public void concurrentCreateOnlyWritersOfOneKeyHaveExactlyOneWinner() throws Exception {
    assumeThat(sink().features())
        .as("sink does not claim CONDITIONAL_CREATE, so concurrent create-only writes may race by contract")
        .contains(SinkFeature.CONDITIONAL_CREATE);
    int writers = Math.max(2, concurrency());
    CyclicBarrier beforeCommit = new CyclicBarrier(writers);
    List<Object> outcomes = runConcurrently(writers, writers, i -> {
      try (PartWriter w = sink().openWrite("race/manifest", WriteMode.CREATE_ONLY)) {
        w.stream().write(("writer " + i).getBytes(StandardCharsets.UTF_8));
        beforeCommit.await(2, TimeUnit.MINUTES); // all commits race
        try {
          w.commit();
          return i;
        } catch (AlreadyExistsException e) {
          return e;
        }
      }
    });

    List<Object> winners = outcomes.stream().filter(o -> o instanceof Integer).collect(Collectors.toList());
    assertThat(winners).as("committed writers").hasSize(1);
    assertThat(outcomes).filteredOn(o -> o instanceof AlreadyExistsException).hasSize(writers - 1);
    assertThat(new String(read("race/manifest", Shape.WHOLE), StandardCharsets.UTF_8))
        .as("the stored object is the winner's").isEqualTo("writer " + winners.get(0));
    assertThat(listKeys("")).containsExactly("race/manifest");
  }

  // --------------------------------------------------------------------------------------------------- atomicity

  @Test
  public void writerClosedWithoutCommitLeavesNothingVisible() throws IOException {
    try (PartWriter w = sink().openWrite("atomic/object", WriteMode.OVERWRITE)) {
      w.stream().write(randomBytes(10_000, 1));
      w.stream().flush();
    }
    assertNothingVisible("atomic/object");
  }

  @Test
  public void writeWhoseSourceFailsMidStreamLeavesNothingVisible() throws IOException {
    long size = abortedWriteSize();
    Throwable thrown = catchThrowable(() -> {
      try (PartWriter w = sink().openWrite("atomic/failed", WriteMode.OVERWRITE);
          InputStream in = new GeneratedData(5, size)) {
        in.transferTo(w.stream());
        w.stream().flush(); // whatever the sink does with flushed bytes, they must stay invisible
        throw new IOException("simulated source failure after " + size + " bytes");
      }
    });
    assertThat(thrown).hasMessageContaining("simulated source failure");
    assertNothingVisible("atomic/failed");
  }

  @Test
  public void abortedOverwriteKeepsThePreviousObject() throws IOException {
    byte[] v1 = randomBytes(3000, 1);
    write("atomic/object", v1, WriteMode.OVERWRITE, Shape.WHOLE);
    try (PartWriter w = sink().openWrite("atomic/object", WriteMode.OVERWRITE)) {
      w.stream().write(randomBytes(50_000, 2));
      w.stream().close();
    }
    assertThat(read("atomic/object", Shape.WHOLE)).isEqualTo(v1);
    assertThat(listKeys("")).containsExactly("atomic/object");
  }

  @Test
  public void uncommittedWriteIsInvisibleWhileInProgress() throws IOException {
    try (PartWriter w = sink().openWrite("atomic/in-progress", WriteMode.OVERWRITE)) {
      w.stream().write(randomBytes(100_000, 1));
      w.stream().flush();
      assertNothingVisible("atomic/in-progress");
      w.commit();
    }
    assertThat(sink().stat("atomic/in-progress")).map(ObjectInfo::size).contains(100_000L);
  }

  @Test
  public void commitAfterTheStreamWasClosedPublishesTheObject() throws IOException {
    // The engine closes its encoder chain (and with it the writer's stream) before it commits.
    byte[] data = randomBytes(150_000, 1);
    try (PartWriter w = sink().openWrite("atomic/closed-first", WriteMode.OVERWRITE)) {
      w.stream().write(data);
      w.stream().close();
      w.stream().close();
      w.commit();
    }
    assertThat(read("atomic/closed-first", Shape.WHOLE)).isEqualTo(data);
  }

  @Test
  public void commitIsIdempotentAndCloseAfterCommitKeepsTheObject() throws IOException {
    PartWriter w = sink().openWrite("atomic/twice", WriteMode.CREATE_ONLY);
    w.stream().write(new byte[] {7});
    w.commit();
    w.commit();
    w.close();
    w.close(); // idempotent
    assertThat(read("atomic/twice", Shape.WHOLE)).containsExactly(7);
  }

  @Test
  public void writerStreamIsAlwaysTheSameInstance() throws IOException {
    try (PartWriter w = sink().openWrite("atomic/same", WriteMode.OVERWRITE)) {
      assertThat(w.stream()).isSameAs(w.stream());
    }
  }

  // ------------------------------------------------------------------------------------------------------- errors

  @Test
  public void readingAMissingKeyThrowsNotFound() {
    for (ThrowingRead read : List.<ThrowingRead>of(
        () -> sink().openRead("missing/object"),
        () -> sink().openRead("missing/object", 0, 10),
        () -> sink().openRead("missing-at-root"))) {
      Throwable thrown = catchThrowable(() -> read.open().close());
      assertThat(thrown).isInstanceOf(NotFoundException.class);
      assertThat(((NotFoundException) thrown).code()).isEqualTo(ErrorCode.NOT_FOUND);
      assertThat(thrown.getMessage()).contains("missing");
    }
  }

  @FunctionalInterface
  private interface ThrowingRead {
    InputStream open() throws IOException;
  }

  static Stream<String> invalidKeys() {
    return Stream.of("", ".", "..", "../escape", "a/../../escape", "a/./b", "a/..", "/abs", "/", "a//b", "a/",
        "a\u0000b", "a\nb", "a\tb", "a\u007fb", "a\\b", "..\\escape", "C:/windows");
  }

  @ParameterizedTest(name = "[{index}] key \"{0}\"")
  @MethodSource("io.backup4j.testkit.BackupSinkConformanceTest#invalidKeys")
  public void invalidKeyIsRejectedWithConfigurationExceptionByEveryOperation(String key) throws IOException {
    assertThatThrownBy(() -> sink().openWrite(key, WriteMode.OVERWRITE).close()).as("openWrite")
        .isInstanceOf(ConfigurationException.class);
    assertThatThrownBy(() -> sink().openWrite(key, WriteMode.CREATE_ONLY).close()).as("openWrite create-only")
        .isInstanceOf(ConfigurationException.class);
    assertThatThrownBy(() -> sink().openRead(key).close()).as("openRead")
        .isInstanceOf(ConfigurationException.class);
    assertThatThrownBy(() -> sink().openRead(key, 0, 1).close()).as("ranged openRead")
        .isInstanceOf(ConfigurationException.class);
    assertThatThrownBy(() -> sink().stat(key)).as("stat").isInstanceOf(ConfigurationException.class);
    assertThatThrownBy(() -> sink().delete(key)).as("delete").isInstanceOf(ConfigurationException.class);
    assertThatThrownBy(() -> sink().deleteAll(List.of("fine", key))).as("deleteAll")
        .isInstanceOf(ConfigurationException.class);
    assertThat(listKeys("")).as("nothing was written").isEmpty();
  }

  // -------------------------------------------------------------------------------------------------- concurrency

  @Test
  public void concurrentWritersOfDifferentKeysAllLand() throws Exception {
    int threads = concurrency();
    int perThread = 4;
    runConcurrently(threads, threads * perThread, i -> {
      // Half share one directory, half get their own: both layouts race differently on a file system.
      String key = (i % 2 == 0 ? "conc/shared/" : "conc/own-" + i + "/") + "object-" + i;
      write(key, randomBytes(64 * 1024 + i, i), WriteMode.OVERWRITE, i % 3 == 0 ? Shape.RANDOM_CHUNKS : Shape.WHOLE);
      return null;
    });
    List<String> keys = listKeys("conc/");
    assertThat(keys).hasSize(threads * perThread);
    for (int i = 0; i < threads * perThread; i++) {
      String key = (i % 2 == 0 ? "conc/shared/" : "conc/own-" + i + "/") + "object-" + i;
      assertThat(read(key, Shape.WHOLE)).as("content of %s", key).isEqualTo(randomBytes(64 * 1024 + i, i));
    }
  }

  @Test
  public void concurrentDeletesDoNotBreakWritesNextToThem() throws Exception {
    int threads = Math.min(concurrency(), 4);
    int rounds = 25;
    // Each thread writes and deletes its own keys in one directory; deletes that clean up the (apparently empty)
    // directory must not break the other threads' writes into it.
    runConcurrently(threads, threads, t -> {
      for (int r = 0; r < rounds; r++) {
        String key = "churn/dir/t" + t + "-" + r;
        write(key, new byte[] {(byte) r}, WriteMode.OVERWRITE, Shape.WHOLE);
        assertThat(read(key, Shape.WHOLE)).containsExactly((byte) r);
        sink().delete(key);
      }
      return null;
    });
    assertThat(listKeys("")).isEmpty();
  }

  @Test
  public void objectsAreSharedWithAnotherSinkOnTheSameRepository() throws Exception {
    write("shared/first", new byte[] {1}, WriteMode.OVERWRITE, Shape.WHOLE);
    BackupSink other = newSinkOnSameRepository();
    assumeThat(other).as("newSinkOnSameRepository() is not overridden, so reopening is not checked").isNotNull();
    try (BackupSink second = Objects.requireNonNull(other)) {
      assertThat(second.stat("shared/first")).map(ObjectInfo::size).contains(1L);
      try (InputStream in = second.openRead("shared/first")) {
        assertThat(in.readAllBytes()).containsExactly(1);
      }
      try (PartWriter w = second.openWrite("shared/second", WriteMode.CREATE_ONLY)) {
        w.stream().write(2);
        w.commit();
      }
      assertThatThrownBy(() -> write("shared/second", new byte[] {3}, WriteMode.CREATE_ONLY, Shape.WHOLE))
          .as("create-only across sinks").isInstanceOf(AlreadyExistsException.class);
    }
    // Closing the second sink leaves the first one working.
    assertThat(listKeys("shared/")).containsExactly("shared/first", "shared/second");
    assertThat(read("shared/second", Shape.WHOLE)).containsExactly(2);
  }

  // ---------------------------------------------------------------------------------------------------- discovery

  @Test
  public void featuresAreExactlyTheDeclaredOnes() {
    assertThat(sink().features()).as("features() compared with expectedFeatures()")
        .containsExactlyInAnyOrderElementsOf(expectedFeatures());
  }

  @Test
  public void describeNamesTheRepositoryWithoutCredentials() {
    String description = sink().describe();
    assertThat(description).isNotBlank();
    assertThat(Redaction.redact(description)).as("describe() is already redacted").isEqualTo(description);
  }

  @Test
  public void providerIsDiscoverableThroughServiceLoader() {
    String scheme = expectedScheme();
    assumeThat(scheme).as("expectedScheme() is not overridden, so discovery is not checked").isNotNull();
    SinkProvider found = findProvider(Objects.requireNonNull(scheme));

    assertThat(found.name()).as("provider name").matches("[a-z0-9-]+");
    assertThat(found.spiVersion()).as("SPI version").isBetween(1, Provider.SPI_VERSION);
    assertThat(found.schemes()).as("schemes").allMatch(s -> s.matches("[a-z][a-z0-9+.-]*"));
  }

  @Test
  public void providerRefusesUnknownOptions() {
    String scheme = expectedScheme();
    URI uri = repositoryUri();
    assumeThat(scheme != null && uri != null)
        .as("expectedScheme() and repositoryUri() are not both overridden, so option checking is not tested").isTrue();
    SinkProvider provider = findProvider(Objects.requireNonNull(scheme));
    Path tmp = Objects.requireNonNull(temporaryDirectory);
    assertThatThrownBy(() -> provider.open(Objects.requireNonNull(uri), Map.of("noSuchOptionForConformance", "1"), true,
        TestProviderContext.of(tmp)).close())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("noSuchOptionForConformance");
  }

  private static SinkProvider findProvider(String scheme) {
    List<String> seen = new ArrayList<>();
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    for (var it = ServiceLoader.load(SinkProvider.class, loader).iterator(); ; ) {
      SinkProvider p;
      try {
        if (!it.hasNext()) {
          break;
        }
        p = it.next();
      } catch (ServiceConfigurationError e) {
        seen.add("<broken: " + e.getMessage() + ">");
        continue;
      }
      if (p.schemes().contains(scheme)) {
        return p;
      }
      seen.add(p.getClass().getName() + " " + p.schemes());
    }
    throw new AssertionError("no SinkProvider for scheme '" + scheme + "' in META-INF/services/"
        + SinkProvider.class.getName() + "; found: " + seen);
  }

  // ------------------------------------------------------------------------------------------------------ helpers

  /** Writes {@code data} under {@code key} in the given shape and commits. */
  protected final void write(String key, byte[] data, WriteMode mode, Shape shape) throws IOException {
    try (PartWriter w = sink().openWrite(key, mode)) {
      OutputStream out = w.stream();
      switch (shape) {
        case WHOLE:
          out.write(data);
          break;
        case ONE_BYTE_AT_A_TIME:
          for (byte b : data) {
            out.write(b);
          }
          break;
        case RANDOM_CHUNKS:
          Random r = new Random(data.length);
          int pos = 0;
          while (pos < data.length) {
            int n = Math.min(data.length - pos, 1 + r.nextInt(100 * 1024));
            out.write(data, pos, n);
            pos += n;
          }
          break;
        default:
          throw new AssertionError(shape);
      }
      w.commit();
    }
  }

  /** Reads the whole object under {@code key} in the given shape. */
  protected final byte[] read(String key, Shape shape) throws IOException {
    try (InputStream in = sink().openRead(key)) {
      return drain(in, shape);
    }
  }

  private byte[] readRange(String key, long offset, long length) throws IOException {
    try (InputStream in = sink().openRead(key, offset, length)) {
      return drain(in, Shape.RANDOM_CHUNKS);
    }
  }

  private static byte[] drain(InputStream in, Shape shape) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    switch (shape) {
      case WHOLE:
        return in.readAllBytes();
      case ONE_BYTE_AT_A_TIME:
        int b;
        while ((b = in.read()) >= 0) {
          out.write(b);
        }
        return out.toByteArray();
      case RANDOM_CHUNKS:
        Random r = new Random(11);
        byte[] buf = new byte[100 * 1024];
        int n;
        while ((n = in.read(buf, 0, 1 + r.nextInt(buf.length))) >= 0) {
          out.write(buf, 0, n);
        }
        return out.toByteArray();
      default:
        throw new AssertionError(shape);
    }
  }

  /** The keys listed under {@code prefix}, in the order the sink returns them. */
  protected final List<String> listKeys(String prefix) throws IOException {
    try (Stream<ObjectInfo> s = sink().list(prefix)) {
      return s.map(ObjectInfo::key).collect(Collectors.toList());
    }
  }

  private void assertNothingVisible(String key) throws IOException {
    assertThat(sink().stat(key)).as("stat of %s", key).isEmpty();
    assertThat(listKeys("")).as("listing").isEmpty();
    assertThatThrownBy(() -> sink().openRead(key).close()).as("read of %s", key)
        .isInstanceOf(NotFoundException.class);
  }

  /** A key of exactly {@code length} characters in segments of at most 200 (file systems allow 255 per name). */
  private static String longKey(int length) {
    StringBuilder b = new StringBuilder("long");
    char c = 'a';
    while (b.length() < length) {
      int segment = Math.min(200, length - b.length() - 1);
      if (segment < 1) {
        b.append('x');
        continue;
      }
      b.append('/').append(String.valueOf(c).repeat(segment));
      c++;
    }
    return b.toString();
  }

  private static List<String> sorted(List<String> keys) {
    List<String> s = new ArrayList<>(keys);
    Collections.sort(s); // String.compareTo: the order BackupSink.list promises
    return s;
  }

  private static byte[] slice(byte[] data, int offset, int length) {
    byte[] out = new byte[length];
    System.arraycopy(data, offset, out, 0, length);
    return out;
  }

  /** Deterministic pseudo-random bytes. */
  protected static byte[] randomBytes(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static String printable(String s) {
    return s.chars().mapToObj(c -> c < 0x20 || c == 0x7f ? String.format("\\u%04x", c) : String.valueOf((char) c))
        .collect(Collectors.joining());
  }

  @FunctionalInterface
  private interface Task {
    @Nullable Object run(int index) throws Exception;
  }

  /** Runs {@code tasks} tasks on {@code threads} threads and returns their results in task order; rethrows failures. */
  private static List<Object> runConcurrently(int threads, int tasks, Task task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Optional<Object>>> futures = new ArrayList<>();
      for (int i = 0; i < tasks; i++) {
        int index = i;
        Callable<Optional<Object>> c = () -> Optional.ofNullable(task.run(index));
        futures.add(pool.submit(c));
      }
      List<Object> results = new ArrayList<>();
      for (Future<Optional<Object>> f : futures) {
        try {
          f.get().ifPresent(results::add);
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof Exception) {
            throw (Exception) cause;
          }
          if (cause instanceof Error) {
            throw (Error) cause;
          }
          throw e;
        }
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}
