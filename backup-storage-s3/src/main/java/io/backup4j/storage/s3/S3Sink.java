package io.backup4j.storage.s3;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.AlreadyExistsException;
import io.backup4j.api.BackupSink;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.ObjectInfo;
import io.backup4j.api.PartWriter;
import io.backup4j.api.Secret;
import io.backup4j.api.SinkException;
import io.backup4j.api.SinkFeature;
import io.backup4j.api.StorageKeys;
import io.backup4j.api.WriteMode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.BucketLocationConstraint;
import software.amazon.awssdk.services.s3.model.CreateBucketRequest;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.ObjectLockEnabled;
import software.amazon.awssdk.services.s3.model.ObjectLockMode;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * A {@link BackupSink} in an S3 bucket under a key prefix, using the AWS SDK for Java v2.
 *
 * <p>Objects are written with a single {@code PutObject} when they are smaller than one part and with a multipart
 * upload otherwise; parts are uploaded {@code concurrency} at a time while the caller keeps writing, and grow in size
 * as the stream grows (see {@code PartSizePolicy}) so that a stream of several terabytes never needs more than
 * {@code maxParts} parts. Heap use per writer is bounded by {@code (concurrency + 1) × min(partSize, memoryBuffer)};
 * larger parts are spooled to owner-only files in the temporary directory. A writer closed without commit aborts its
 * multipart upload; {@link #cleanup(Duration)} aborts uploads that a crashed process left behind.
 *
 * <p>{@link WriteMode#CREATE_ONLY} uses a conditional write ({@code If-None-Match: *}) where the server honours it
 * (AWS S3 since 2024, MinIO, R2): two writers of one key cannot both succeed. Whether the server honours it is
 * probed once with a scratch object ({@code conditionalWrites=auto}); a server that ignores the header gets a
 * check-then-write with a short race, logged once, and the sink does not report
 * {@link SinkFeature#CONDITIONAL_CREATE}.
 *
 * <p>Create instances with {@link #builder(String)} or through the {@code s3} provider:
 * {@code s3://bucket/prefix?region=eu-west-1}. Credentials come from the builder (or the {@code accessKey} and
 * {@code secretKey} options) or else from the SDK's default chain; they never appear in {@link #describe()},
 * {@link #toString()}, logs or exception messages.
 */
public final class S3Sink implements BackupSink {
  private static final Logger LOG = LoggerFactory.getLogger(S3Sink.class);
  private static final String PROBE_PREFIX = ".backup4j-probe-";
  private static final int DELETE_BATCH = 1000;

  final S3Client s3;
  final String bucket;
  final String root;
  final Config config;
  final ExecutorService uploads;
  private volatile @Nullable Boolean conditionalSupported;
  private volatile @Nullable Boolean bucketObjectLock;
  private volatile boolean batchDeleteUnsupported;
  private volatile boolean closed;

  /** What a sink was built with; immutable. */
  record Config(
      String bucket, String prefix, @Nullable String region, @Nullable URI endpoint, boolean pathStyle,
      ChecksumMode checksums, @Nullable String storageClass, long smallObjectThreshold, Sse sse,
      @Nullable String kmsKeyId, @Nullable Secret sseCustomerKey, long partSize, long maxPartSize, int maxParts,
      int concurrency, long memoryBuffer, ConditionalWrites conditionalWrites, @Nullable ObjectLockMode objectLockMode,
      @Nullable Duration objectLockRetention, int maxAttempts, Duration retryBaseDelay, Duration retryMaxDelay,
      int listPageSize, Path temporaryDirectory) {}

  /** How request and response checksums are handled (the SDK's {@code requestChecksumCalculation}). */
  public enum ChecksumMode {
    /** The SDK default: CRC32 trailers on every upload, validated on download. For AWS S3. */
    WHEN_SUPPORTED,
    /**
     * Checksums only where the API requires them; uploads still carry {@code Content-MD5}. For S3-compatible
     * servers that reject the SDK's chunked trailing checksums.
     */
    WHEN_REQUIRED
  }

  /** Server-side encryption of written objects. */
  public enum Sse {
    /** The bucket's default. */
    NONE,
    /** SSE-S3 ({@code AES256}). */
    AES256,
    /** SSE-KMS, with the bucket's or the given KMS key. */
    KMS,
    /** SSE-C: the caller supplies a 256-bit key with every request; S3 does not keep it. */
    CUSTOMER
  }

  /** Whether {@link WriteMode#CREATE_ONLY} uses {@code If-None-Match: *}. */
  public enum ConditionalWrites {
    /** Probe the server once; use conditional writes if it honours them, check-then-write otherwise. */
    AUTO,
    /** Always use conditional writes; a server that rejects them fails the write. */
    ON,
    /** Never use them: check-then-write, leaving a short race between two writers. */
    OFF
  }

  private S3Sink(Config config, S3Client s3) {
    this.config = config;
    this.s3 = s3;
    this.bucket = config.bucket();
    this.root = config.prefix();
    AtomicInteger n = new AtomicInteger();
    ThreadFactory tf = r -> {
      Thread t = new Thread(r, "backup4j-s3-upload-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    this.uploads = Executors.newCachedThreadPool(tf);
    if (config.conditionalWrites() == ConditionalWrites.ON) {
      conditionalSupported = true;
    } else if (config.conditionalWrites() == ConditionalWrites.OFF) {
      conditionalSupported = false;
    } else if (config.endpoint() == null) {
      // AWS S3 honours If-None-Match on PutObject and CompleteMultipartUpload since August 2024
      conditionalSupported = true;
    }
  }

  /** Starts a builder for a sink in {@code bucket}. */
  public static Builder builder(String bucket) {
    return new Builder(bucket);
  }

  /** {@code s3://bucket/prefix}, plus the endpoint when one is set; never credentials. */
  @Override
  public String describe() {
    String base = "s3://" + bucket + (root.isEmpty() ? "" : "/" + root);
    return config.endpoint() == null ? base : base + " at " + config.endpoint();
  }

  @Override
  public String toString() {
    return "S3Sink[" + describe() + "]";
  }

  /** The bucket's object key for a sink key. */
  String objectKey(String key) {
    return root.isEmpty() ? key : root + "/" + key;
  }

  String location(String key) {
    return "s3://" + bucket + "/" + objectKey(key);
  }

  @Override
  public PartWriter openWrite(String key, WriteMode mode) throws IOException {
    StorageKeys.validate(key);
    Objects.requireNonNull(mode, "mode is null");
    ensureOpen();
    int bytes = objectKey(key).getBytes(StandardCharsets.UTF_8).length;
    if (bytes > StorageKeys.MAX_LENGTH) {
      throw new ConfigurationException("key '" + key + "' is " + bytes + " bytes long with the prefix '" + root
          + "/'; S3 allows " + StorageKeys.MAX_LENGTH + " bytes: use a shorter prefix");
    }
    boolean conditional = mode == WriteMode.CREATE_ONLY && conditionalWritesSupported();
    if (mode == WriteMode.CREATE_ONLY && !conditional && stat(key).isPresent()) {
      // fail before uploading anything; checked again just before the commit
      throw new AlreadyExistsException(location(key) + " already exists; a create-only write never replaces an object");
    }
    return new S3PartWriter(this, key, mode, conditional);
  }

  @Override
  public InputStream openRead(String key) throws IOException {
    StorageKeys.validate(key);
    ensureOpen();
    return S3ReadStream.open(this, key, 0, -1);
  }

  @Override
  public InputStream openRead(String key, long offset, long length) throws IOException {
    StorageKeys.validate(key);
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("offset and length must be >= 0, got " + offset + " and " + length);
    }
    ensureOpen();
    if (length == 0) {
      if (stat(key).isEmpty()) {
        throw new NotFoundException(location(key) + " does not exist");
      }
      return InputStream.nullInputStream();
    }
    return S3ReadStream.open(this, key, offset, length);
  }

  @Override
  public Optional<ObjectInfo> stat(String key) throws IOException {
    StorageKeys.validate(key);
    ensureOpen();
    return head(key).map(h -> new ObjectInfo(key, h.contentLength(), h.lastModified()));
  }

  Optional<HeadObjectResponse> head(String key) {
    HeadObjectRequest.Builder r = HeadObjectRequest.builder().bucket(bucket).key(objectKey(key));
    if (config.sse() == Sse.CUSTOMER) {
      SseCustomer c = sseCustomer();
      r.sseCustomerAlgorithm("AES256").sseCustomerKey(c.key()).sseCustomerKeyMD5(c.keyMd5());
    }
    try {
      return Optional.of(s3.headObject(r.build()));
    } catch (SdkException e) {
      if (S3Errors.isNotFound(e) && !S3Errors.code(e).equals("NoSuchBucket")) {
        return Optional.empty();
      }
      throw S3Errors.translate("reading the metadata of " + location(key), e);
    }
  }

  /**
   * Lists lazily, one {@code ListObjectsV2} page ({@code listPageSize} keys, 1,000 by default) at a time. Keys that
   * are not valid storage keys (folder markers ending in {@code /} made by consoles) are skipped. S3 orders keys by
   * their UTF-8 bytes, which equals {@link String#compareTo} order except for keys mixing characters above U+FFFF
   * with characters U+E000 to U+FFFF.
   */
  @Override
  public Stream<ObjectInfo> list(String prefix) throws IOException {
    StorageKeys.validatePrefix(prefix);
    ensureOpen();
    String full = root.isEmpty() ? prefix : root + "/" + prefix;
    int strip = root.isEmpty() ? 0 : root.length() + 1;
    Iterator<S3Object> objects = s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(full)
        .maxKeys(config.listPageSize())).contents().iterator();
    Iterator<ObjectInfo> infos = new Iterator<>() {
      private @Nullable ObjectInfo next;

      @Override
      public boolean hasNext() {
        try {
          while (next == null && objects.hasNext()) {
            S3Object o = objects.next();
            String key = o.key().substring(strip);
            if (StorageKeys.isValid(key) && !key.startsWith(PROBE_PREFIX)) {
              next = new ObjectInfo(key, o.size(), o.lastModified());
            }
          }
        } catch (SdkException e) {
          throw S3Errors.translate("listing " + location(prefix.isEmpty() ? "" : prefix), e);
        }
        return next != null;
      }

      @Override
      public ObjectInfo next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        ObjectInfo n = next;
        next = null;
        return n;
      }
    };
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(infos,
        Spliterator.ORDERED | Spliterator.NONNULL | Spliterator.DISTINCT), false);
  }

  @Override
  public void delete(String key) throws IOException {
    deleteAll(List.of(key));
  }

  /**
   * Deletes with {@code DeleteObjects}, 1,000 keys per call. With Object Lock configured, keys still under retention
   * are not deleted: the others are, then an {@link AccessDeniedException} names the protected ones and the date
   * their retention ends.
   */
  @Override
  public void deleteAll(Collection<String> keys) throws IOException {
    List<String> valid = new ArrayList<>(new LinkedHashSet<>(keys));
    valid.forEach(StorageKeys::validate);
    ensureOpen();
    List<String> locked = new ArrayList<>();
    if (!valid.isEmpty() && (config.objectLockMode() != null || bucketHasObjectLock())) {
      List<String> unlocked = new ArrayList<>();
      List<@Nullable String> retention = retentionOf(valid);
      for (int i = 0; i < valid.size(); i++) {
        if (retention.get(i) != null) {
          locked.add(valid.get(i) + " (" + retention.get(i) + ")");
        } else {
          unlocked.add(valid.get(i));
        }
      }
      valid = unlocked;
    }
    for (int i = 0; i < valid.size(); i += DELETE_BATCH) {
      List<String> keysOfBatch = valid.subList(i, Math.min(valid.size(), i + DELETE_BATCH));
      if (keysOfBatch.size() == 1 || batchDeleteUnsupported) {
        keysOfBatch.forEach(this::deleteOne);
        continue;
      }
      List<ObjectIdentifier> batch = keysOfBatch.stream()
          .map(k -> ObjectIdentifier.builder().key(objectKey(k)).build()).toList();
      DeleteObjectsResponse r;
      try {
        r = s3.deleteObjects(b -> b.bucket(bucket).delete(Delete.builder().objects(batch).quiet(true).build()));
      } catch (SdkException e) {
        if (S3Errors.isNotImplemented(e)) {
          // e.g. Google Cloud Storage's XML API: no multi-object delete
          LOG.info("{} does not implement DeleteObjects; deleting one object per request", describe());
          batchDeleteUnsupported = true;
          keysOfBatch.forEach(this::deleteOne);
          continue;
        }
        throw S3Errors.translate("deleting " + batch.size() + " objects under " + describe(), e);
      }
      List<S3Error> errors = r.errors().stream().filter(e -> !"NoSuchKey".equals(e.code())).toList();
      if (!errors.isEmpty()) {
        S3Error first = errors.get(0);
        String msg = "deleting " + errors.size() + " of " + batch.size() + " objects under " + describe()
            + " failed; first: " + first.key() + ": " + first.code() + " " + first.message();
        if ("AccessDenied".equals(first.code())) {
          throw new AccessDeniedException(msg);
        }
        throw new SinkException(msg);
      }
    }
    if (!locked.isEmpty()) {
      throw new AccessDeniedException(locked.size() + " object(s) under " + describe()
          + " are protected by S3 Object Lock and were not deleted: "
          + String.join(", ", locked.subList(0, Math.min(5, locked.size())))
          + (locked.size() > 5 ? ", ..." : "") + "; they can be deleted once their retention has passed");
    }
  }

  /**
   * For each key, "MODE until DATE" if it is under retention now, else null; one HeadObject per key, eight at a time,
   * so that pruning a backup of thousands of parts does not wait for thousands of sequential round trips.
   */
  private List<@Nullable String> retentionOf(List<String> keys) throws IOException {
    int lanes = Math.min(8, keys.size());
    Instant now = Instant.now();
    String[] out = new String[keys.size()];
    List<java.util.concurrent.Future<?>> tasks = new ArrayList<>();
    for (int lane = 0; lane < lanes; lane++) {
      int first = lane;
      tasks.add(uploads.submit(() -> {
        for (int i = first; i < keys.size(); i += lanes) {
          Optional<HeadObjectResponse> h = head(keys.get(i));
          Instant until = h.map(HeadObjectResponse::objectLockRetainUntilDate).orElse(null);
          if (until != null && until.isAfter(now)) {
            out[i] = h.get().objectLockModeAsString() + " until " + until;
          }
        }
      }));
    }
    for (java.util.concurrent.Future<?> t : tasks) {
      try {
        t.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while checking Object Lock retention");
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof RuntimeException r) {
          throw r;
        }
        throw new IOException("checking Object Lock retention failed: " + e.getCause(), e.getCause());
      }
    }
    return java.util.Arrays.asList(out);
  }

  private void deleteOne(String key) {
    try {
      s3.deleteObject(b -> b.bucket(bucket).key(objectKey(key)));
    } catch (SdkException e) {
      if (!(S3Errors.isNotFound(e) && !"NoSuchBucket".equals(S3Errors.code(e)))) {
        throw S3Errors.translate("deleting " + location(key), e);
      }
    }
  }

  /** Reads the object's retention with {@code HeadObject} (needs {@code s3:GetObjectRetention} on AWS). */
  @Override
  public Optional<Instant> retainedUntil(String key) throws IOException {
    StorageKeys.validate(key);
    ensureOpen();
    return head(key).map(HeadObjectResponse::objectLockRetainUntilDate).filter(t -> t.isAfter(Instant.now()));
  }

  /**
   * Whether the bucket has Object Lock enabled, asked once. Deletes then check retention even when this sink was
   * not configured with {@code objectLockMode}: in a versioned Object Lock bucket a plain DELETE of a retained object
   * "succeeds" by adding a delete marker, which would hide a backup whose data stays retained and billed.
   */
  private boolean bucketHasObjectLock() {
    Boolean known = bucketObjectLock;
    if (known == null) {
      try {
        var lock = s3.getObjectLockConfiguration(b -> b.bucket(bucket)).objectLockConfiguration();
        known = lock != null && lock.objectLockEnabled() == ObjectLockEnabled.ENABLED;
      } catch (SdkException e) {
        // no configuration (404), not implemented (501) or not permitted (403): treated as no Object Lock
        known = false;
      }
      bucketObjectLock = known;
    }
    return known;
  }

  @Override
  public Set<SinkFeature> features() {
    Set<SinkFeature> f = EnumSet.of(SinkFeature.RANGED_READ);
    if (conditionalWritesSupported()) {
      f.add(SinkFeature.CONDITIONAL_CREATE);
    }
    if (config.objectLockMode() != null) {
      f.add(SinkFeature.IMMUTABILITY);
    }
    return f;
  }

  /**
   * Aborts the multipart uploads under this sink's prefix that were started more than {@code olderThan} ago: the
   * leftovers of processes that crashed before they could abort (S3 keeps and bills their parts forever). Use an
   * age well above the longest backup, e.g. 24 hours, so that running uploads are not touched.
   *
   * @return the number of uploads aborted
   */
  @Override
  public int cleanup(Duration olderThan) {
    Objects.requireNonNull(olderThan, "olderThan is null");
    ensureOpen();
    Instant cutoff = Instant.now().minus(olderThan);
    String prefix = root.isEmpty() ? "" : root + "/";
    int aborted = 0;
    try {
      for (MultipartUpload u : s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(prefix)).uploads()) {
        if (u.initiated() != null && u.initiated().isBefore(cutoff)) {
          s3.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(bucket).key(u.key())
              .uploadId(u.uploadId()).build());
          LOG.info("aborted stale multipart upload of s3://{}/{} started {}", bucket, u.key(), u.initiated());
          aborted++;
        }
      }
    } catch (SdkException e) {
      throw S3Errors.translate("cleaning up stale multipart uploads under " + describe(), e);
    }
    return aborted;
  }

  /** Whether CREATE_ONLY writes are atomic here; probes the server once when {@code conditionalWrites=auto}. */
  boolean conditionalWritesSupported() {
    Boolean known = conditionalSupported;
    if (known != null) {
      return known;
    }
    synchronized (this) {
      if (conditionalSupported == null) {
        Boolean probed = probeConditionalWrites();
        if (probed == null) {
          // no answer (network, permissions): fall back for this write, ask again next time
          return false;
        }
        conditionalSupported = probed;
        if (!probed) {
          LOG.warn("{} does not honour If-None-Match on PUT; create-only writes fall back to check-then-write, "
              + "which leaves a short race between two writers of one backup id", describe());
        }
      }
      return conditionalSupported;
    }
  }

  /** True or false when the server answered clearly, null when the probe itself failed. */
  private @Nullable Boolean probeConditionalWrites() {
    String key = objectKey(PROBE_PREFIX + UUID.randomUUID());
    byte[] body = "probe".getBytes(StandardCharsets.US_ASCII);
    try {
      PutObjectRequest put = PutObjectRequest.builder().bucket(bucket).key(key).ifNoneMatch("*").build();
      try {
        s3.putObject(put, RequestBody.fromBytes(body));
      } catch (SdkException e) {
        if (S3Errors.isPreconditionFailed(e)) {
          // the key is random: only our own earlier attempt, whose answer was lost, can have created it
          return true;
        }
        if (S3Errors.isNotImplemented(e) || S3Errors.status(e) == 400) {
          return false;
        }
        throw e;
      }
      try {
        s3.putObject(put, RequestBody.fromBytes(body));
        return false;  // the second create-only PUT succeeded: the header is ignored
      } catch (SdkException e) {
        if (S3Errors.isPreconditionFailed(e)) {
          return true;
        }
        if (S3Errors.isNotImplemented(e) || S3Errors.status(e) == 400) {
          return false;
        }
        throw e;
      }
    } catch (SdkException e) {
      LOG.warn("could not probe {} for conditional writes ({}); this write checks before it commits instead",
          describe(), S3Errors.describe(e));
      return null;
    } finally {
      try {
        s3.deleteObject(b -> b.bucket(bucket).key(key));
      } catch (SdkException e) {
        LOG.warn("could not delete the probe object s3://{}/{}: {}", bucket, key, S3Errors.describe(e));
      }
    }
  }

  record SseCustomer(String key, String keyMd5) {
    @Override
    public String toString() {
      return "SseCustomer[****]";
    }
  }

  SseCustomer sseCustomer() {
    Secret secret = Objects.requireNonNull(config.sseCustomerKey());
    byte[] raw = Base64.getDecoder().decode(new String(secret.reveal()));
    try {
      String md5 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(raw));
      return new SseCustomer(Base64.getEncoder().encodeToString(raw), md5);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } finally {
      java.util.Arrays.fill(raw, (byte) 0);
    }
  }

  /** Whether an object may go to the configured storage class: not small, not catalog, lock or JSON. */
  boolean coldStorageAllowed(String key, long size) {
    return config.storageClass() != null && size >= config.smallObjectThreshold() && !key.startsWith("catalog/")
        && !key.startsWith("locks/") && !key.endsWith(".json");
  }

  /**
   * Whether an object gets Object Lock retention: everything but the engine's lock files and in-flight markers
   * ({@code locks/}, {@code pending/}), which it must delete when a backup ends.
   */
  boolean retentionApplies(String key) {
    return config.objectLockMode() != null && !key.startsWith("locks/") && !key.startsWith("pending/");
  }

  void ensureOpen() {
    if (closed) {
      throw new IllegalStateException(describe() + " is closed");
    }
  }

  /** Shuts down the upload threads and the HTTP client (unless the builder was given one). */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    uploads.shutdownNow();
    s3.close();
  }

  private void checkBucket(boolean create, boolean createBucket) {
    try {
      s3.headBucket(b -> b.bucket(bucket));
    } catch (SdkException e) {
      if (S3Errors.isNotFound(e) && create && createBucket) {
        try {
          CreateBucketRequest.Builder r = CreateBucketRequest.builder().bucket(bucket)
              .objectLockEnabledForBucket(config.objectLockMode() != null ? Boolean.TRUE : null);
          if (config.region() != null && !config.region().equals("us-east-1") && config.endpoint() == null) {
            r.createBucketConfiguration(c -> c.locationConstraint(BucketLocationConstraint.fromValue(config.region())));
          }
          s3.createBucket(r.build());
          LOG.info("created bucket {}", bucket);
          return;
        } catch (SdkException ce) {
          if (S3Errors.isNotImplemented(ce) && config.objectLockMode() != null) {
            throw new ConfigurationException("creating bucket " + bucket + " with Object Lock failed: the server does"
                + " not implement Object Lock (" + S3Errors.describe(ce) + "); create the bucket yourself or drop"
                + " objectLockMode", ce);
          }
          throw S3Errors.translate("creating bucket " + bucket, ce);
        }
      }
      if (S3Errors.isNotFound(e)) {
        throw new NotFoundException("bucket '" + bucket + "' of " + describe() + " does not exist (or is not visible"
            + " with these credentials); create it first, or pass createBucket=true", e);
      }
      throw S3Errors.translate("opening " + describe(), e);
    }
    if (!create) {
      String prefix = root.isEmpty() ? "" : root + "/";
      boolean empty;
      try {
        empty = s3.listObjectsV2(b -> b.bucket(bucket).prefix(prefix).maxKeys(1)).contents().isEmpty();
      } catch (SdkException e) {
        throw S3Errors.translate("opening " + describe(), e);
      }
      if (empty && !root.isEmpty()) {
        throw new NotFoundException("there is no repository at " + describe() + ": no object has the prefix '"
            + prefix + "'; check the bucket and prefix");
      }
    }
  }

  /**
   * Configures an {@link S3Sink}. Every setting has the same name as the URI/option key of the {@code s3} provider.
   * Not thread-safe; {@link #build()} may be called more than once.
   */
  public static final class Builder {
    private final String bucket;
    private String prefix = "";
    private @Nullable String region;
    private @Nullable URI endpoint;
    private boolean pathStyle;
    private ChecksumMode checksums = ChecksumMode.WHEN_SUPPORTED;
    private @Nullable String storageClass;
    private long smallObjectThreshold = 128 << 10;
    private Sse sse = Sse.NONE;
    private @Nullable String kmsKeyId;
    private @Nullable Secret sseCustomerKey;
    private long partSize = 8L << 20;
    private long maxPartSize = PartSizePolicy.AWS_MAX_PART_SIZE;
    private int maxParts = PartSizePolicy.AWS_MAX_PARTS;
    private int concurrency = 4;
    private long memoryBuffer = 16L << 20;
    private ConditionalWrites conditionalWrites = ConditionalWrites.AUTO;
    private @Nullable ObjectLockMode objectLockMode;
    private @Nullable Duration objectLockRetention;
    private int maxAttempts = 8;
    private Duration retryBaseDelay = Duration.ofMillis(200);
    private Duration retryMaxDelay = Duration.ofSeconds(20);
    private int listPageSize = 1000;
    private @Nullable Path temporaryDirectory;
    private @Nullable AwsCredentialsProvider credentials;
    private @Nullable String profile;
    private @Nullable SdkHttpClient httpClient;
    private final List<ExecutionInterceptor> interceptors = new ArrayList<>();
    private boolean create = true;
    private boolean createBucket;
    private @Nullable Duration cleanupAfter;

    private static String printable(String s) {
      StringBuilder sb = new StringBuilder();
      s.codePoints().limit(100).forEach(c -> sb.append(c < 0x20 || c == 0x7f ? "?" : Character.toString(c)));
      return sb.toString();
    }

    private Builder(String bucket) {
      Objects.requireNonNull(bucket, "bucket is null");
      // AWS allows lower case only for new buckets; legacy buckets and some S3-compatible stores have upper case
      if (!bucket.matches("[A-Za-z0-9][A-Za-z0-9.\\-_]{1,254}")) {
        throw new ConfigurationException("invalid bucket name '" + printable(bucket) + "': use 2-255 letters,"
            + " digits, '.', '-' or '_'");
      }
      this.bucket = bucket;
    }

    /** The key prefix of the repository inside the bucket ({@code a/b}); empty for the bucket's root. */
    public Builder prefix(String prefix) {
      String p = prefix;
      while (p.startsWith("/")) {
        p = p.substring(1);
      }
      while (p.endsWith("/")) {
        p = p.substring(0, p.length() - 1);
      }
      if (!p.isEmpty()) {
        StorageKeys.validate(p);
      }
      this.prefix = p;
      return this;
    }

    /** The bucket's region; defaults to {@code AWS_REGION}/profile, or {@code us-east-1} with a custom endpoint. */
    public Builder region(String region) {
      this.region = Objects.requireNonNull(region, "region is null");
      return this;
    }

    /** The endpoint of an S3-compatible server ({@code http://127.0.0.1:9000}); AWS when not set. */
    public Builder endpoint(URI endpoint) {
      Objects.requireNonNull(endpoint, "endpoint is null");
      if (endpoint.getScheme() == null || endpoint.getHost() == null
          || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https"))) {
        throw new ConfigurationException("endpoint '" + io.backup4j.api.Redaction.redact(endpoint.toString())
            + "' must be an http:// or https:// URL with a host");
      }
      if (endpoint.getUserInfo() != null) {
        throw new ConfigurationException("endpoint must not contain credentials; use accessKey and secretKey");
      }
      this.endpoint = endpoint;
      return this;
    }

    /** Path-style addressing ({@code host/bucket/key}); most S3-compatible servers need it. */
    public Builder pathStyle(boolean pathStyle) {
      this.pathStyle = pathStyle;
      return this;
    }

    /** Checksum handling; {@link ChecksumMode#WHEN_REQUIRED} for S3-compatible servers. */
    public Builder checksums(ChecksumMode checksums) {
      this.checksums = Objects.requireNonNull(checksums, "checksums is null");
      return this;
    }

    /** Explicit credentials instead of the SDK's default chain. */
    public Builder credentials(String accessKey, Secret secretKey) {
      return credentials(accessKey, secretKey, null);
    }

    /** Explicit temporary credentials (with a session token) instead of the SDK's default chain. */
    public Builder credentials(String accessKey, Secret secretKey, @Nullable Secret sessionToken) {
      Objects.requireNonNull(accessKey, "accessKey is null");
      Objects.requireNonNull(secretKey, "secretKey is null");
      String sk = new String(secretKey.reveal());
      this.credentials = StaticCredentialsProvider.create(sessionToken == null
          ? AwsBasicCredentials.create(accessKey, sk)
          : AwsSessionCredentials.create(accessKey, sk, new String(sessionToken.reveal())));
      return this;
    }

    /** Any SDK credentials provider (for example STS web identity or an assumed role). */
    public Builder credentialsProvider(AwsCredentialsProvider provider) {
      this.credentials = Objects.requireNonNull(provider, "provider is null");
      return this;
    }

    /** A named profile of {@code ~/.aws/credentials} and {@code ~/.aws/config}. */
    public Builder profile(String profile) {
      this.profile = Objects.requireNonNull(profile, "profile is null");
      return this;
    }

    /**
     * The storage class of large data objects ({@code STANDARD_IA}, {@code GLACIER_IR}, ...). Objects under
     * {@link #smallObjectThreshold(long)}, under {@code catalog/} or {@code locks/}, or named {@code *.json} stay in
     * STANDARD, so that listing and reading the catalog never touch an archive tier.
     */
    public Builder storageClass(String storageClass) {
      String s = storageClass.trim().toUpperCase(Locale.ROOT);
      if (!s.matches("[A-Z_]+")) {
        throw new ConfigurationException("invalid storageClass '" + storageClass + "'; e.g. STANDARD_IA, GLACIER_IR");
      }
      this.storageClass = s.equals("STANDARD") ? null : s;
      return this;
    }

    /** Objects smaller than this stay in STANDARD whatever {@link #storageClass(String)} says; 128 KiB by default. */
    public Builder smallObjectThreshold(long bytes) {
      if (bytes < 0) {
        throw new ConfigurationException("smallObjectThreshold must be >= 0");
      }
      this.smallObjectThreshold = bytes;
      return this;
    }

    /** SSE-S3: objects encrypted by S3 with AES-256 ({@code sse=aes256}). */
    public Builder sseS3() {
      this.sse = Sse.AES256;
      return this;
    }

    /** SSE-KMS with the given key (id, ARN or alias), or the bucket's AWS-managed key when {@code null}. */
    public Builder sseKms(@Nullable String kmsKeyId) {
      this.sse = Sse.KMS;
      this.kmsKeyId = kmsKeyId;
      return this;
    }

    /** SSE-C with a 256-bit key given base64-encoded; the same key must be given to read the objects back. */
    public Builder sseCustomerKey(Secret base64Key) {
      Objects.requireNonNull(base64Key, "base64Key is null");
      byte[] raw;
      try {
        raw = Base64.getDecoder().decode(new String(base64Key.reveal()).trim());
      } catch (IllegalArgumentException e) {
        throw new ConfigurationException("sseCustomerKey is not valid base64; give a base64-encoded 32-byte key");
      }
      if (raw.length != 32) {
        throw new ConfigurationException("sseCustomerKey must decode to 32 bytes (AES-256), got " + raw.length);
      }
      java.util.Arrays.fill(raw, (byte) 0);
      this.sse = Sse.CUSTOMER;
      this.sseCustomerKey = base64Key;
      return this;
    }

    /**
     * The size of the first parts of a multipart upload, 8 MiB by default; later parts double as the stream grows.
     * AWS requires at least 5 MiB; smaller sizes are accepted only with a custom endpoint (for tests).
     */
    public Builder partSize(long bytes) {
      this.partSize = bytes;
      return this;
    }

    /** The largest part size growth may reach; 5 GiB (the S3 limit) by default. */
    public Builder maxPartSize(long bytes) {
      this.maxPartSize = bytes;
      return this;
    }

    /** The most parts one upload may have; 10,000 (AWS) by default, lower for some S3-compatible stores. */
    public Builder maxParts(int maxParts) {
      this.maxParts = maxParts;
      return this;
    }

    /** How many parts of one object are uploaded at once; 4 by default. */
    public Builder concurrency(int concurrency) {
      this.concurrency = concurrency;
      return this;
    }

    /** Parts up to this size are buffered in heap, larger ones in temporary files; 16 MiB by default. */
    public Builder memoryBuffer(long bytes) {
      this.memoryBuffer = bytes;
      return this;
    }

    /** Whether create-only writes use {@code If-None-Match: *}; {@link ConditionalWrites#AUTO} by default. */
    public Builder conditionalWrites(ConditionalWrites mode) {
      this.conditionalWrites = Objects.requireNonNull(mode, "mode is null");
      return this;
    }

    /**
     * S3 Object Lock: every object but lock files is written with this retention mode and a retain-until date of
     * now plus {@code retention}. The bucket must have Object Lock enabled.
     */
    public Builder objectLock(ObjectLockMode mode, Duration retention) {
      Objects.requireNonNull(mode, "mode is null");
      Objects.requireNonNull(retention, "retention is null");
      if (mode == ObjectLockMode.UNKNOWN_TO_SDK_VERSION || retention.isNegative() || retention.isZero()) {
        throw new ConfigurationException("objectLock needs mode GOVERNANCE or COMPLIANCE and a positive retention");
      }
      this.objectLockMode = mode;
      this.objectLockRetention = retention;
      return this;
    }

    /** Attempts per request (first try plus retries) on throttling, 5xx and network errors; 8 by default. */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    /** The exponential backoff between attempts: {@code base × 2^n} with jitter, at most {@code max}. */
    public Builder retryBackoff(Duration base, Duration max) {
      this.retryBaseDelay = Objects.requireNonNull(base, "base is null");
      this.retryMaxDelay = Objects.requireNonNull(max, "max is null");
      return this;
    }

    /** Keys per {@code ListObjectsV2} page, 1..1000; 1000 by default. */
    public Builder listPageSize(int keys) {
      this.listPageSize = keys;
      return this;
    }

    /** Where parts larger than {@link #memoryBuffer(long)} are spooled; {@code java.io.tmpdir} by default. */
    public Builder temporaryDirectory(Path directory) {
      this.temporaryDirectory = Objects.requireNonNull(directory, "directory is null");
      return this;
    }

    /** An HTTP client to use instead of the default Apache client; the caller closes it after the sink. */
    public Builder httpClient(SdkHttpClient client) {
      this.httpClient = Objects.requireNonNull(client, "client is null");
      return this;
    }

    /** Adds an SDK interceptor (metrics, tracing, header rewriting). */
    public Builder addExecutionInterceptor(ExecutionInterceptor interceptor) {
      this.interceptors.add(Objects.requireNonNull(interceptor, "interceptor is null"));
      return this;
    }

    /**
     * Whether the sink is opened for writing ({@code true}, the default). When {@code false}, a prefix without any
     * object is a {@link NotFoundException}.
     */
    public Builder create(boolean create) {
      this.create = create;
      return this;
    }

    /** Whether a missing bucket is created when {@link #create(boolean)} is set; {@code false} by default. */
    public Builder createBucket(boolean createBucket) {
      this.createBucket = createBucket;
      return this;
    }

    /**
     * When set, a sink opened for writing first aborts the multipart uploads under its prefix that started more than
     * {@code age} ago (see {@link S3Sink#cleanup(Duration)}); choose an age well above the longest backup. Off by
     * default; a failure (for example a missing {@code s3:ListBucketMultipartUploads} permission) is logged, not
     * fatal.
     */
    public Builder cleanupAfter(Duration age) {
      Objects.requireNonNull(age, "age is null");
      if (age.isNegative() || age.isZero()) {
        throw new ConfigurationException("cleanupAfter must be a positive duration, e.g. 24h");
      }
      this.cleanupAfter = age;
      return this;
    }

    /**
     * Creates the client and checks that the bucket exists (and, when not creating, that the prefix holds a
     * repository).
     *
     * @throws ConfigurationException for inconsistent settings or a missing region
     * @throws NotFoundException if the bucket (or repository) does not exist
     * @throws AccessDeniedException if the credentials are refused
     */
    public S3Sink build() {
      if (maxPartSize > PartSizePolicy.AWS_MAX_PART_SIZE) {
        throw new ConfigurationException("maxPartSize must be at most 5 GiB (the S3 limit)");
      }
      long minPart = endpoint == null ? PartSizePolicy.AWS_MIN_PART_SIZE : 1024;
      if (partSize < minPart || partSize > maxPartSize) {
        throw new ConfigurationException("partSize=" + partSize + " must be between " + minPart + " and maxPartSize="
            + maxPartSize + (endpoint == null ? " (AWS rejects parts under 5 MiB)" : ""));
      }
      if (maxParts < 1 || maxParts > PartSizePolicy.AWS_MAX_PARTS) {
        throw new ConfigurationException("maxParts must be 1..10000, got " + maxParts);
      }
      if (concurrency < 1 || concurrency > 64) {
        throw new ConfigurationException("concurrency must be 1..64, got " + concurrency);
      }
      if (memoryBuffer < 0) {
        throw new ConfigurationException("memoryBuffer must be >= 0");
      }
      if (maxAttempts < 1 || maxAttempts > 100) {
        throw new ConfigurationException("maxAttempts must be 1..100, got " + maxAttempts);
      }
      if (listPageSize < 1 || listPageSize > 1000) {
        throw new ConfigurationException("listPageSize must be 1..1000, got " + listPageSize);
      }
      if (storageClass != null && smallObjectThreshold > partSize) {
        // a multipart upload picks its storage class before its size is known, so it must be known to be large
        throw new ConfigurationException("smallObjectThreshold=" + smallObjectThreshold
            + " must not exceed partSize=" + partSize);
      }
      if (kmsKeyId != null && sse != Sse.KMS) {
        throw new ConfigurationException("kmsKeyId is only used with sse=kms");
      }
      String resolvedRegion = region;
      if (resolvedRegion == null && endpoint != null) {
        resolvedRegion = "us-east-1";
      }
      Path tmp = temporaryDirectory != null ? temporaryDirectory : Path.of(System.getProperty("java.io.tmpdir"));
      Config config = new Config(bucket, prefix, resolvedRegion, endpoint, pathStyle, checksums, storageClass,
          smallObjectThreshold, sse, kmsKeyId, sseCustomerKey, partSize, maxPartSize, maxParts, concurrency,
          memoryBuffer, conditionalWrites, objectLockMode, objectLockRetention, maxAttempts, retryBaseDelay,
          retryMaxDelay, listPageSize, tmp);

      S3ClientBuilder b = S3Client.builder()
          .forcePathStyle(pathStyle)
          .requestChecksumCalculation(checksums == ChecksumMode.WHEN_REQUIRED
              ? RequestChecksumCalculation.WHEN_REQUIRED : RequestChecksumCalculation.WHEN_SUPPORTED)
          .responseChecksumValidation(checksums == ChecksumMode.WHEN_REQUIRED
              ? ResponseChecksumValidation.WHEN_REQUIRED : ResponseChecksumValidation.WHEN_SUPPORTED)
          .overrideConfiguration(o -> {
            o.retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
                .maxAttempts(maxAttempts)
                .backoffStrategy(BackoffStrategy.exponentialDelay(retryBaseDelay, retryMaxDelay))
                .throttlingBackoffStrategy(BackoffStrategy.exponentialDelay(retryBaseDelay.multipliedBy(5),
                    retryMaxDelay))
                // a backup must outlast a bad minute of S3; never stop retrying because others failed too
                .circuitBreakerEnabled(false)
                .build());
            interceptors.forEach(o::addExecutionInterceptor);
          });
      if (resolvedRegion != null) {
        b.region(Region.of(resolvedRegion));
      }
      if (endpoint != null) {
        b.endpointOverride(endpoint);
      }
      if (credentials != null) {
        b.credentialsProvider(credentials);
      } else if (profile != null) {
        b.credentialsProvider(ProfileCredentialsProvider.create(profile));
      } else {
        b.credentialsProvider(DefaultCredentialsProvider.builder().build());
      }
      if (httpClient != null) {
        b.httpClient(httpClient);
      } else {
        b.httpClientBuilder(Apache5HttpClient.builder().maxConnections(Math.max(50, concurrency * 8)));
      }
      S3Client client;
      try {
        client = b.build();
      } catch (SdkException e) {
        if (resolvedRegion == null && String.valueOf(e.getMessage()).contains("Unable to load region")) {
          throw new ConfigurationException("no AWS region for s3://" + bucket + ": set region= (or AWS_REGION, or"
              + " a region in the AWS profile)", e);
        }
        throw new ConfigurationException("could not configure the S3 client for s3://" + bucket + ": "
            + S3Errors.describe(e), e);
      }
      S3Sink sink = new S3Sink(config, client);
      try {
        sink.checkBucket(create, createBucket);
      } catch (RuntimeException e) {
        sink.close();
        throw e;
      }
      if (create && cleanupAfter != null) {
        try {
          int n = sink.cleanup(cleanupAfter);
          if (n > 0) {
            LOG.info("{}: aborted {} multipart upload(s) older than {}", sink.describe(), n, cleanupAfter);
          }
        } catch (RuntimeException e) {
          LOG.warn("{}: could not clean up stale multipart uploads: {}", sink.describe(), e.getMessage());
        }
      }
      return sink;
    }
  }
}
