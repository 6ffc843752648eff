package io.backup4j.storage.s3;

import io.backup4j.api.IntegrityException;
import io.backup4j.api.NotFoundException;
import java.io.IOException;
import java.io.InputStream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.ChecksumMode;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * A GET of a whole object or a byte range that survives dropped connections: when the body breaks off, the read
 * resumes with a ranged GET from the current position, pinned to the first response's ETag ({@code If-Match}) so that
 * an object replaced in between is detected instead of spliced. Closing early aborts the connection rather than
 * draining a large body.
 */
final class S3ReadStream extends InputStream {
  private static final Logger LOG = LoggerFactory.getLogger(S3ReadStream.class);
  private static final int MAX_RESUMES = 5;

  private final S3Sink sink;
  private final String key;
  private long position;
  /** Exclusive end, or -1 for the end of the object. */
  private final long end;
  private @Nullable String eTag;
  private @Nullable ResponseInputStream<GetObjectResponse> in;
  private int resumes;
  private boolean eof;
  private boolean closed;
  /** The failure that ended reading; later reads rethrow it instead of reporting an end of stream. */
  private @Nullable Exception broken;

  private S3ReadStream(S3Sink sink, String key, long offset, long length) {
    this.sink = sink;
    this.key = key;
    this.position = offset;
    long e = offset + length;
    // a length running past Long.MAX_VALUE means "to the end of the object"
    this.end = length < 0 || e < 0 ? -1 : e;
  }

  /** Opens the object; a missing key is a {@link NotFoundException} here, not on the first read. */
  static InputStream open(S3Sink sink, String key, long offset, long length) throws IOException {
    S3ReadStream s = new S3ReadStream(sink, key, offset, length);
    s.connect(true);
    return s;
  }

  private void connect(boolean first) throws IOException {
    GetObjectRequest.Builder r = GetObjectRequest.builder().bucket(sink.bucket).key(sink.objectKey(key));
    if (position > 0 || end >= 0) {
      r.range("bytes=" + position + "-" + (end >= 0 ? Long.toString(end - 1) : ""));
    }
    if (eTag != null) {
      r.ifMatch(eTag);
    } else if (end < 0 && position == 0 && sink.config.checksums() == S3Sink.ChecksumMode.WHEN_SUPPORTED) {
      // ask for the stored checksum so that the SDK validates the whole body against it (whole objects only)
      r.checksumMode(ChecksumMode.ENABLED);
    }
    if (sink.config.sse() == S3Sink.Sse.CUSTOMER) {
      S3Sink.SseCustomer k = sink.sseCustomer();
      r.sseCustomerAlgorithm("AES256").sseCustomerKey(k.key()).sseCustomerKeyMD5(k.keyMd5());
    }
    try {
      in = sink.s3.getObject(r.build());
      if (eTag == null) {
        eTag = in.response().eTag();
      }
    } catch (SdkException e) {
      if (S3Errors.status(e) == 416) {
        // the range starts at or after the end of the object: nothing to read, but the object exists
        eof = true;
        return;
      }
      if (!first && S3Errors.isPreconditionFailed(e)) {
        throw new IOException(sink.location(key) + " was replaced while it was being read; read it again", e);
      }
      if (S3Errors.isNotFound(e) && !"NoSuchBucket".equals(S3Errors.code(e))) {
        throw new NotFoundException(sink.location(key) + " does not exist", e);
      }
      throw S3Errors.translate("reading " + sink.location(key), e);
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    java.util.Objects.checkFromIndexSize(off, len, b.length);
    if (closed) {
      throw new IOException("stream closed");
    }
    if (broken != null) {
      // after a failed resume there is no connection: reading on must not look like the end of the object
      throw new IOException("reading " + sink.location(key) + " failed at byte " + position
          + "; the stream cannot go on", broken);
    }
    if (len == 0) {
      return 0;
    }
    try {
      return readOrResume(b, off, len);
    } catch (IOException | RuntimeException e) {
      broken = e;
      throw e;
    }
  }

  private int readOrResume(byte[] b, int off, int len) throws IOException {
    while (true) {
      if (eof || (end >= 0 && position >= end)) {
        return -1;
      }
      try {
        int n = in == null ? -1 : in.read(b, off, len);
        if (n < 0) {
          eof = true;
          return -1;
        }
        position += n;
        return n;
      } catch (SdkException e) {
        // not a dropped connection: the SDK's checksum validation, which must never be skipped by resuming
        if (String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("checksum")) {
          throw new IntegrityException(sink.location(key) + " failed its S3 checksum while being read ("
              + S3Errors.describe(e) + "); the stored object or the transfer is damaged", e);
        }
        throw new IOException("reading " + sink.location(key) + " failed: " + S3Errors.describe(e), e);
      } catch (IOException e) {
        if (resumes >= MAX_RESUMES) {
          throw e;
        }
        resumes++;
        LOG.info("reading {} broke off at byte {} ({}); resuming ({}/{})", sink.location(key), position,
            S3Errors.describe(e), resumes, MAX_RESUMES);
        abortQuietly();
        connect(false);
      }
    }
  }

  private void abortQuietly() {
    ResponseInputStream<GetObjectResponse> s = in;
    in = null;
    if (s != null) {
      try {
        s.abort();
        s.close();
      } catch (IOException | RuntimeException ignored) {
        // the connection is being thrown away
      }
    }
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (eof) {
      ResponseInputStream<GetObjectResponse> s = in;
      in = null;
      if (s != null) {
        s.close();
      }
    } else {
      // do not download the rest of a large object just to reuse the connection
      abortQuietly();
    }
  }
}
