package io.backup4j.storage.s3;

import io.backup4j.api.AlreadyExistsException;
import io.backup4j.api.BackupException;
import io.backup4j.api.PartWriter;
import io.backup4j.api.SinkException;
import io.backup4j.api.WriteMode;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.ChecksumAlgorithm;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * Writes one object: a single PUT if it fits in the first part, otherwise a multipart upload whose parts are sent in
 * the background while the caller keeps writing.
 *
 * <pre>
 *   caller thread                         upload threads (at most `concurrency` parts in flight)
 *   write() ─▶ [buffer part n] ─full─▶ acquire permit ─▶ UploadPart(n) ─▶ release permit, free buffer
 *   commit() ─▶ no upload started?  ─▶ PutObject(whole buffer)            (If-None-Match: * for CREATE_ONLY)
 *            └▶ upload last part, wait for all ─▶ CompleteMultipartUpload (If-None-Match: * for CREATE_ONLY)
 *   close() without commit ─▶ wait for in-flight parts ─▶ AbortMultipartUpload
 * </pre>
 */
final class S3PartWriter implements PartWriter {
  private static final Logger LOG = LoggerFactory.getLogger(S3PartWriter.class);

  private final S3Sink sink;
  private final String key;
  private final String objectKey;
  private final WriteMode mode;
  private final boolean conditional;
  private final PartSizePolicy policy;
  private final Semaphore permits;
  private final List<Future<CompletedPart>> inFlight = new ArrayList<>();
  private final List<PartBuffer> buffers = new ArrayList<>();
  private final List<byte[]> partMd5s = new ArrayList<>();
  private final Instant retainUntil;
  private final Stream stream = new Stream();
  private @Nullable PartBuffer current;
  private int partNumber = 1;
  private @Nullable String uploadId;
  private volatile @Nullable Throwable failure;
  private boolean committed;
  /** A commit failed: its buffers are gone, so the writer refuses to write or commit again. */
  private boolean commitFailed;
  private boolean closed;

  S3PartWriter(S3Sink sink, String key, WriteMode mode, boolean conditional) {
    this.sink = sink;
    this.key = key;
    this.objectKey = sink.objectKey(key);
    this.mode = mode;
    this.conditional = conditional;
    S3Sink.Config c = sink.config;
    this.policy = new PartSizePolicy(c.partSize(), c.maxPartSize(), c.maxParts());
    this.permits = new Semaphore(c.concurrency());
    this.retainUntil = c.objectLockRetention() == null ? Instant.EPOCH : Instant.now().plus(c.objectLockRetention());
  }

  @Override
  public OutputStream stream() {
    return stream;
  }

  private final class Stream extends OutputStream {
    private final byte[] one = new byte[1];
    private boolean streamClosed;

    @Override
    public void write(int b) throws IOException {
      one[0] = (byte) b;
      write(one, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      java.util.Objects.checkFromIndexSize(off, len, b.length);
      if (streamClosed || closed || committed || commitFailed) {
        throw new IOException("the writer of " + sink.location(key) + " is " + (committed ? "committed"
            : commitFailed ? "failed" : "closed"));
      }
      checkFailure();
      while (len > 0) {
        PartBuffer buf = current;
        if (buf == null) {
          buf = newBuffer();
        } else if (buf.isFull()) {
          // only hand a part over when more bytes arrive, so an object of exactly one part is a single PUT
          sendPart(buf);
          buf = newBuffer();
        }
        int n = buf.write(b, off, len);
        off += n;
        len -= n;
      }
    }

    @Override
    public void close() {
      // closing the stream does not commit; the writer's commit() or close() decides
      streamClosed = true;
    }
  }

  private PartBuffer newBuffer() throws IOException {
    if (partNumber > policy.maxParts()) {
      throw new IOException(sink.location(key) + " is larger than " + policy.maxParts() + " parts can hold ("
          + policy.capacity() + " bytes); raise partSize or maxParts");
    }
    PartBuffer buf = new PartBuffer(policy.partSize(partNumber), sink.config.memoryBuffer(),
        sink.config.temporaryDirectory());
    buffers.add(buf);
    current = buf;
    return buf;
  }

  private void checkFailure() throws IOException {
    Throwable f = failure;
    if (f != null) {
      throw new IOException("uploading " + sink.location(key) + " failed: " + f.getMessage(), f);
    }
  }

  /** Hands a full (or the last) part to an upload thread, blocking while {@code concurrency} parts are in flight. */
  private void sendPart(PartBuffer buf) throws IOException {
    buf.seal();
    if (uploadId == null) {
      uploadId = createUpload();
    }
    try {
      permits.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while uploading " + sink.location(key));
    }
    checkFailureReleasing();
    int number = partNumber++;
    partMd5s.add(buf.md5());
    String id = uploadId;
    current = null;
    inFlight.add(sink.uploads.submit(() -> {
      try {
        return uploadPart(id, number, buf);
      } catch (Throwable t) {
        if (failure == null) {
          failure = t instanceof SdkException e ? S3Errors.translate("uploading part " + number + " of "
              + sink.location(key), e) : t;
        }
        throw t;
      } finally {
        buf.release();
        permits.release();
      }
    }));
  }

  private void checkFailureReleasing() throws IOException {
    if (failure != null) {
      permits.release();
      checkFailure();
    }
  }

  private String createUpload() throws IOException {
    S3Sink.Config c = sink.config;
    CreateMultipartUploadRequest.Builder r = CreateMultipartUploadRequest.builder().bucket(sink.bucket).key(objectKey)
        .contentType("application/octet-stream");
    // a multipart object is at least one part large, so only its key decides whether it may go cold
    if (sink.coldStorageAllowed(key, Long.MAX_VALUE)) {
      r.storageClass(c.storageClass());
    }
    applySse(c, r::serverSideEncryption, r::ssekmsKeyId);
    if (c.sse() == S3Sink.Sse.CUSTOMER) {
      S3Sink.SseCustomer k = sink.sseCustomer();
      r.sseCustomerAlgorithm("AES256").sseCustomerKey(k.key()).sseCustomerKeyMD5(k.keyMd5());
    }
    if (sink.retentionApplies(key)) {
      r.objectLockMode(c.objectLockMode()).objectLockRetainUntilDate(retainUntil);
    }
    if (c.checksums() == S3Sink.ChecksumMode.WHEN_SUPPORTED) {
      r.checksumAlgorithm(ChecksumAlgorithm.CRC32);
    }
    try {
      return sink.s3.createMultipartUpload(r.build()).uploadId();
    } catch (SdkException e) {
      throw S3Errors.translate("starting the upload of " + sink.location(key), e);
    }
  }

  private CompletedPart uploadPart(String id, int number, PartBuffer buf) {
    S3Sink.Config c = sink.config;
    UploadPartRequest.Builder r = UploadPartRequest.builder().bucket(sink.bucket).key(objectKey).uploadId(id)
        .partNumber(number).contentLength(buf.size()).contentMD5(Base64.getEncoder().encodeToString(buf.md5()));
    if (c.sse() == S3Sink.Sse.CUSTOMER) {
      S3Sink.SseCustomer k = sink.sseCustomer();
      r.sseCustomerAlgorithm("AES256").sseCustomerKey(k.key()).sseCustomerKeyMD5(k.keyMd5());
    }
    if (c.checksums() == S3Sink.ChecksumMode.WHEN_SUPPORTED) {
      r.checksumAlgorithm(ChecksumAlgorithm.CRC32);
    }
    UploadPartResponse resp = sink.s3.uploadPart(r.build(),
        RequestBody.fromContentProvider(buf.contentProvider(), buf.size(), "application/octet-stream"));
    return CompletedPart.builder().partNumber(number).eTag(resp.eTag()).checksumCRC32(resp.checksumCRC32()).build();
  }

  @Override
  public void commit() throws IOException {
    if (committed) {
      return;
    }
    if (closed) {
      throw new IOException("the writer of " + sink.location(key) + " was closed without commit; nothing was written");
    }
    if (commitFailed) {
      // the failed attempt aborted the upload and released the bytes: committing now would publish what is left
      throw new IOException("an earlier commit of " + sink.location(key) + " failed and nothing was written; write"
          + " the object again with a new writer");
    }
    try {
      checkFailure();
      PartBuffer last = current != null ? current : newBuffer();
      if (uploadId == null) {
        putWhole(last);
      } else {
        if (last.size() > 0) {
          sendPart(last);
        } else {
          current = null;
          last.release();
        }
        complete();
      }
      committed = true;
    } catch (IOException | RuntimeException e) {
      commitFailed = true;
      abort();
      throw e;
    }
  }

  private void putWhole(PartBuffer buf) throws IOException {
    buf.seal();
    S3Sink.Config c = sink.config;
    PutObjectRequest.Builder r = PutObjectRequest.builder().bucket(sink.bucket).key(objectKey)
        .contentLength(buf.size()).contentMD5(Base64.getEncoder().encodeToString(buf.md5()))
        .contentType("application/octet-stream");
    if (sink.coldStorageAllowed(key, buf.size())) {
      r.storageClass(c.storageClass());
    }
    applySse(c, r::serverSideEncryption, r::ssekmsKeyId);
    if (c.sse() == S3Sink.Sse.CUSTOMER) {
      S3Sink.SseCustomer k = sink.sseCustomer();
      r.sseCustomerAlgorithm("AES256").sseCustomerKey(k.key()).sseCustomerKeyMD5(k.keyMd5());
    }
    if (sink.retentionApplies(key)) {
      r.objectLockMode(c.objectLockMode()).objectLockRetainUntilDate(retainUntil);
    }
    guardCreateOnly();
    if (conditional) {
      r.ifNoneMatch("*");
    }
    try {
      sink.s3.putObject(r.build(), RequestBody.fromContentProvider(buf.contentProvider(), buf.size(),
          "application/octet-stream"));
    } catch (SdkException e) {
      // a create-only PUT whose first attempt landed but whose answer was lost is refused on the retry: if the
      // object now holds exactly our bytes (its ETag is their MD5), the write did succeed
      if (retriedIntoPrecondition(e) && holdsOurBytes(buf.md5())) {
        LOG.info("{}: PutObject was retried after it had succeeded; the object is ours", sink.location(key));
        return;
      }
      throw conditionalFailure(e, "writing " + sink.location(key));
    } finally {
      buf.release();
      current = null;
    }
  }

  private void complete() throws IOException {
    List<CompletedPart> parts = new ArrayList<>();
    for (Future<CompletedPart> f : inFlight) {
      try {
        parts.add(f.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while uploading " + sink.location(key));
      } catch (ExecutionException e) {
        checkFailure();
        throw new IOException("uploading " + sink.location(key) + " failed: " + e.getCause(), e.getCause());
      }
    }
    parts.sort(Comparator.comparingInt(CompletedPart::partNumber));
    guardCreateOnly();
    CompleteMultipartUploadRequest.Builder r = CompleteMultipartUploadRequest.builder().bucket(sink.bucket)
        .key(objectKey).uploadId(uploadId).multipartUpload(m -> m.parts(parts));
    if (conditional) {
      r.ifNoneMatch("*");
    }
    if (sink.config.sse() == S3Sink.Sse.CUSTOMER) {
      // AWS wants the key on Complete when checksums are involved; s3proxy always does
      S3Sink.SseCustomer k = sink.sseCustomer();
      r.sseCustomerAlgorithm("AES256").sseCustomerKey(k.key()).sseCustomerKeyMD5(k.keyMd5());
    }
    try {
      sink.s3.completeMultipartUpload(r.build());
    } catch (SdkException e) {
      // a retried Complete whose first attempt succeeded answers NoSuchUpload: the object may be ours after all
      if ((S3Errors.isNotFound(e) && "NoSuchUpload".equals(S3Errors.code(e)) || retriedIntoPrecondition(e))
          && completedEarlier()) {
        LOG.info("{}: CompleteMultipartUpload was retried after it had succeeded; the object is complete",
            sink.location(key));
        return;
      }
      throw conditionalFailure(e, "completing the upload of " + sink.location(key));
    }
  }

  /**
   * Whether the object holds exactly the bytes with this MD5: by its ETag where that is the MD5 (no encryption or
   * SSE-S3), otherwise by reading it back (single-PUT objects are at most one part long).
   */
  private boolean holdsOurBytes(byte[] md5) {
    String hex = HexFormat.of().formatHex(md5);
    try {
      Optional<String> etag = sink.head(key).map(HeadObjectResponse::eTag).map(t -> t.replace("\"", ""));
      if (etag.filter(hex::equals).isPresent()) {
        return true;
      }
      if (etag.isEmpty() || (sink.config.sse() != S3Sink.Sse.KMS && sink.config.sse() != S3Sink.Sse.CUSTOMER)) {
        return false;
      }
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("MD5");
      try (java.io.InputStream in = sink.openRead(key)) {
        byte[] b = new byte[64 << 10];
        int n;
        while ((n = in.read(b)) >= 0) {
          md.update(b, 0, n);
        }
      }
      return java.security.MessageDigest.isEqual(md.digest(), md5);
    } catch (IOException | RuntimeException | java.security.NoSuchAlgorithmException e) {
      return false;
    }
  }

  /** A 412 on a create-only write that the SDK had already sent more than once. */
  private boolean retriedIntoPrecondition(SdkException e) {
    Integer attempts = e.numAttempts();
    return conditional && S3Errors.isPreconditionFailed(e) && attempts != null && attempts > 1;
  }

  /** Whether the object now carries the ETag our parts produce ({@code md5(part md5s)-n}), proving it is ours. */
  private boolean completedEarlier() {
    try {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("MD5");
      partMd5s.forEach(md::update);
      String expected = HexFormat.of().formatHex(md.digest()) + "-" + partMd5s.size();
      return sink.head(key).map(HeadObjectResponse::eTag).map(t -> t.replace("\"", "")).filter(expected::equals)
          .isPresent();
    } catch (java.security.NoSuchAlgorithmException | RuntimeException e) {
      return false;
    }
  }

  /** Without conditional writes, CREATE_ONLY checks just before committing (a short race remains). */
  private void guardCreateOnly() {
    if (mode == WriteMode.CREATE_ONLY && !conditional && sink.head(key).isPresent()) {
      throw new AlreadyExistsException(sink.location(key) + " already exists; a create-only write never replaces"
          + " an object");
    }
  }

  private BackupException conditionalFailure(SdkException e, String what) {
    if (mode == WriteMode.CREATE_ONLY && (S3Errors.isPreconditionFailed(e) || S3Errors.isConditionalConflict(e))) {
      return new AlreadyExistsException(sink.location(key) + " already exists (or another writer is creating it)"
          + "; a create-only write never replaces an object", e);
    }
    if (conditional && S3Errors.isNotImplemented(e)) {
      return new SinkException(what + " failed: the server does not implement If-None-Match ("
          + S3Errors.describe(e) + "); set conditionalWrites=false or auto", e);
    }
    return S3Errors.translate(what, e);
  }

  private static void applySse(S3Sink.Config c, java.util.function.Consumer<ServerSideEncryption> sse,
      java.util.function.Consumer<String> kmsKey) {
    switch (c.sse()) {
      case AES256 -> sse.accept(ServerSideEncryption.AES256);
      case KMS -> {
        sse.accept(ServerSideEncryption.AWS_KMS);
        if (c.kmsKeyId() != null) {
          kmsKey.accept(c.kmsKeyId());
        }
      }
      default -> { }
    }
  }

  /**
   * Waits for in-flight parts, aborts the multipart upload and frees every buffer. Never throws. Runs to the end on
   * an interrupted thread too (a caller cancelled with {@code Future.cancel(true)}): the SDK refuses to send a request
   * while the thread's interrupt flag is set, which would leave the upload's parts stored and billed, so the flag is
   * cleared for the clean-up and set again afterwards.
   */
  private void abort() {
    boolean interrupted = Thread.interrupted();
    try {
      for (Future<CompletedPart> f : inFlight) {
        while (true) {
          try {
            f.get();
            break;
          } catch (InterruptedException e) {
            // parts still uploading would land after the abort; wait for them, remember the interrupt
            interrupted = true;
          } catch (ExecutionException | RuntimeException e) {
            // already recorded as the failure
            break;
          }
        }
      }
      inFlight.clear();
      String id = uploadId;
      if (id != null) {
        uploadId = null;
        try {
          sink.s3.abortMultipartUpload(b -> b.bucket(sink.bucket).key(objectKey).uploadId(id));
        } catch (SdkException e) {
          if (!"NoSuchUpload".equals(S3Errors.code(e))) {
            LOG.warn("could not abort the multipart upload {} of {} ({}); its parts stay billed until "
                + "S3Sink.cleanup (backup4j s3 cleanup) or a lifecycle rule removes them", id, sink.location(key),
                S3Errors.describe(e));
          }
        }
      }
      buffers.forEach(PartBuffer::release);
      buffers.clear();
      current = null;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (!committed) {
      abort();
    }
  }
}
