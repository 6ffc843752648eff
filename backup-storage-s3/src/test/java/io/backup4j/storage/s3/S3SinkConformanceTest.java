package io.backup4j.storage.s3;

import io.backup4j.api.BackupSink;
import io.backup4j.api.SinkFeature;
import io.backup4j.testkit.BackupSinkConformanceTest;
import io.backup4j.testkit.TestProviderContext;
import io.backup4j.testkit.s3.InProcessS3;
import java.net.URI;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The storage conformance suite against an in-process s3proxy, through the {@code s3} provider and URI as a user
 * would configure it. Each test gets a fresh bucket at the repository root, because the suite's longest key is the
 * full 1,024 bytes S3 allows, leaving no room for a prefix. The server keeps objects in memory: s3proxy's
 * filesystem store cannot hold that key (its temporary file names exceed the file system's 255-byte limit).
 */
class S3SinkConformanceTest extends BackupSinkConformanceTest {
  private static final AtomicInteger BUCKETS = new AtomicInteger();
  private static InProcessS3 s3;
  private String bucket = "";

  @BeforeAll
  static void startServer() {
    s3 = InProcessS3.start();
  }

  @AfterAll
  static void stopServer() {
    s3.close();
  }

  @Override
  protected BackupSink newSink() {
    bucket = "conformance-" + BUCKETS.incrementAndGet();
    s3.createBucket(bucket);
    // small first parts keep memory low while the 100 MiB object still crosses many part boundaries
    return new S3SinkProvider().open(URI.create(s3.uri(bucket, "") + "&partSize=5MiB&maxParts=200"), s3.options(),
        true, TestProviderContext.of(Objects.requireNonNull(temporaryDirectory)));
  }

  @Override
  protected BackupSink newSinkOnSameRepository() {
    // a second client on the same bucket, as another process or host would open it
    return new S3SinkProvider().open(URI.create(s3.uri(bucket, "") + "&partSize=5MiB"), s3.options(), true,
        TestProviderContext.of(Objects.requireNonNull(temporaryDirectory)));
  }

  @Override
  protected Set<SinkFeature> expectedFeatures() {
    // s3proxy honours If-None-Match: *, which the sink finds out with its probe
    return Set.of(SinkFeature.RANGED_READ, SinkFeature.CONDITIONAL_CREATE);
  }

  @Override
  protected String expectedScheme() {
    return "s3";
  }

  @Override
  protected URI repositoryUri() {
    return URI.create(s3.uri(bucket, ""));
  }

  // the in-process server stores objects in this JVM's heap; S3BoundedMemoryTest checks the sink's memory in a
  // child JVM with a 64 MiB heap instead
  @Override
  protected boolean storageKeepsObjectsInThisHeap() {
    return true;
  }
}
