package io.backup4j.storage.s3;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;

/**
 * An HTTP client that forwards to a real one (talking to the real in-process server) except where a rule injects a
 * fault: a connection reset after half the request body was sent, an S3 error response, or a response body that
 * breaks off. Rules see each request with its S3 operation and a per-operation attempt counter.
 */
final class FaultyHttpClient implements SdkHttpClient {
  /** What to do with one request. */
  sealed interface Fault permits Pass, ResetMidBody, Error, Answer, LoseResponse, BreakResponseAfter,
      CorruptResponseAt {}

  record Pass() implements Fault {}

  /** Reads half of the request body, then fails as a dropped connection would. */
  record ResetMidBody() implements Fault {}

  /** Answers with an S3 error document instead of forwarding. */
  record Error(int status, String code) implements Fault {}

  /** Forwards the request (the server acts on it), then fails as if the connection dropped before the answer. */
  record LoseResponse() implements Fault {}

  /** Answers with a 200 and the given XML body instead of forwarding (for APIs the server lacks). */
  record Answer(String xml) implements Fault {}

  /** Forwards, but the response body fails after {@code bytes} bytes. */
  record BreakResponseAfter(long bytes) implements Fault {}

  /**
   * Forwards, but flips one bit of the response body at byte {@code offset}; with a non-null {@code crc32} also
   * reports that stored checksum (base64) in {@code x-amz-checksum-crc32}, as AWS does for objects uploaded with one.
   */
  record CorruptResponseAt(long offset, String crc32) implements Fault {}

  static final Fault PASS = new Pass();

  /** A request as the rules see it. */
  record Call(String operation, int attempt, SdkHttpRequest request) {}

  private final SdkHttpClient delegate = Apache5HttpClient.builder().build();
  private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
  final AtomicInteger injected = new AtomicInteger();
  private volatile Function<Call, Fault> rule = c -> PASS;

  /** Installs a rule; attempt counters start again from zero, so rules can speak of "the first PutObject". */
  void rule(Function<Call, Fault> rule) {
    attempts.clear();
    this.rule = rule;
  }

  int attempts(String operation) {
    AtomicInteger n = attempts.get(operation);
    return n == null ? 0 : n.get();
  }

  static String operation(SdkHttpRequest r) {
    Map<String, ?> q = r.rawQueryParameters();
    SdkHttpMethod m = r.method();
    if (m == SdkHttpMethod.PUT && q.containsKey("uploadId")) {
      return "UploadPart";
    }
    if (m == SdkHttpMethod.PUT) {
      return "PutObject";
    }
    if (m == SdkHttpMethod.POST && q.containsKey("uploadId")) {
      return "CompleteMultipartUpload";
    }
    if (m == SdkHttpMethod.POST && q.containsKey("uploads")) {
      return "CreateMultipartUpload";
    }
    if (m == SdkHttpMethod.POST && q.containsKey("delete")) {
      return "DeleteObjects";
    }
    if (m == SdkHttpMethod.DELETE && q.containsKey("uploadId")) {
      return "AbortMultipartUpload";
    }
    if (m == SdkHttpMethod.GET && q.containsKey("object-lock")) {
      return "GetObjectLockConfiguration";
    }
    if (m == SdkHttpMethod.GET && q.containsKey("uploads")) {
      return "ListMultipartUploads";
    }
    if (m == SdkHttpMethod.GET && (q.containsKey("list-type") || r.encodedPath().chars().filter(c -> c == '/')
        .count() <= 1)) {
      return "ListObjects";
    }
    return m + (m == SdkHttpMethod.GET ? "Object" : "");
  }

  @Override
  public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
    String op = operation(request.httpRequest());
    int attempt = attempts.computeIfAbsent(op, k -> new AtomicInteger()).incrementAndGet();
    Fault fault = rule.apply(new Call(op, attempt, request.httpRequest()));
    if (fault instanceof Pass) {
      return delegate.prepareRequest(request);
    }
    injected.incrementAndGet();
    if (fault instanceof LoseResponse) {
      ExecutableHttpRequest real = delegate.prepareRequest(request);
      return new ExecutableHttpRequest() {
        @Override
        public HttpExecuteResponse call() throws IOException {
          HttpExecuteResponse r = real.call();
          if (r.responseBody().isPresent()) {
            r.responseBody().get().readAllBytes();
            r.responseBody().get().close();
          }
          throw new SocketException("Connection reset before the response (injected)");
        }

        @Override
        public void abort() {
          real.abort();
        }
      };
    }
    if (fault instanceof CorruptResponseAt c) {
      ExecutableHttpRequest real = delegate.prepareRequest(request);
      return new ExecutableHttpRequest() {
        @Override
        public HttpExecuteResponse call() throws IOException {
          HttpExecuteResponse r = real.call();
          AbortableInputStream body = r.responseBody().orElseThrow();
          InputStream corrupting = new FilterInputStream(body) {
            private long pos;

            @Override
            public int read() throws IOException {
              byte[] one = new byte[1];
              return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
              int n = super.read(b, off, len);
              if (n > 0 && pos <= c.offset() && c.offset() < pos + n) {
                b[off + (int) (c.offset() - pos)] ^= 0x01;
              }
              pos += Math.max(n, 0);
              return n;
            }
          };
          SdkHttpResponse response = c.crc32() == null ? r.httpResponse()
              : r.httpResponse().toBuilder().putHeader("x-amz-checksum-crc32", c.crc32()).build();
          return HttpExecuteResponse.builder().response(response)
              .responseBody(AbortableInputStream.create(corrupting, body::abort)).build();
        }

        @Override
        public void abort() {
          real.abort();
        }
      };
    }
    if (fault instanceof BreakResponseAfter b) {
      ExecutableHttpRequest real = delegate.prepareRequest(request);
      return new ExecutableHttpRequest() {
        @Override
        public HttpExecuteResponse call() throws IOException {
          HttpExecuteResponse r = real.call();
          Optional<AbortableInputStream> body = r.responseBody();
          if (body.isEmpty()) {
            return r;
          }
          InputStream breaking = new BreakingStream(body.get(), b.bytes());
          return HttpExecuteResponse.builder().response(r.httpResponse())
              .responseBody(AbortableInputStream.create(breaking, body.get()::abort)).build();
        }

        @Override
        public void abort() {
          real.abort();
        }
      };
    }
    return new ExecutableHttpRequest() {
      @Override
      public HttpExecuteResponse call() throws IOException {
        if (fault instanceof ResetMidBody) {
          long length = request.httpRequest().firstMatchingHeader("Content-Length").map(Long::parseLong).orElse(0L);
          if (request.contentStreamProvider().isPresent()) {
            try (InputStream in = request.contentStreamProvider().get().newStream()) {
              in.skipNBytes(length / 2);
            }
          }
          throw new SocketException("Connection reset (injected)");
        }
        if (fault instanceof Answer a) {
          return HttpExecuteResponse.builder()
              .response(SdkHttpResponse.builder().statusCode(200).putHeader("Content-Type", "application/xml").build())
              .responseBody(AbortableInputStream.create(new ByteArrayInputStream(a.xml().getBytes(
                  StandardCharsets.UTF_8))))
              .build();
        }
        Error e = (Error) fault;
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + e.code() + "</Code><Message>injected "
            + e.code() + "</Message><RequestId>FAULT</RequestId></Error>";
        return HttpExecuteResponse.builder()
            .response(SdkHttpResponse.builder().statusCode(e.status()).putHeader("Content-Type", "application/xml")
                .putHeader("x-amz-request-id", "FAULT").build())
            .responseBody(AbortableInputStream.create(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8))))
            .build();
      }

      @Override
      public void abort() {}
    };
  }

  @Override
  public void close() {
    delegate.close();
  }

  private static final class BreakingStream extends FilterInputStream {
    private long left;

    BreakingStream(InputStream in, long bytes) {
      super(in);
      this.left = bytes;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        throw new SocketException("Connection reset while reading the body (injected)");
      }
      int n = super.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }
}
