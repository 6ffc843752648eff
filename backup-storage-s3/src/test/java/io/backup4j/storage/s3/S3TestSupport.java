package io.backup4j.storage.s3;

import io.backup4j.api.Secret;
import io.backup4j.testkit.s3.InProcessS3;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Random;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

/** Helpers shared by the S3 tests: builders pointed at the in-process server, deterministic data, digests. */
final class S3TestSupport {
  private S3TestSupport() {}

  /** A builder for the in-process server with test-friendly retries (short backoff). */
  static S3Sink.Builder builder(InProcessS3 s3, String bucket, String prefix) {
    return S3Sink.builder(bucket).prefix(prefix).endpoint(s3.endpoint()).region(InProcessS3.REGION).pathStyle(true)
        .checksums(S3Sink.ChecksumMode.WHEN_REQUIRED).credentials(s3.accessKey(), Secret.of(s3.secretKey()))
        .retryBackoff(Duration.ofMillis(5), Duration.ofMillis(50));
  }

  /** A plain SDK client for inspecting the server behind the sink's back. */
  static S3Client rawClient(InProcessS3 s3) {
    return S3Client.builder().endpointOverride(s3.endpoint()).region(Region.of(InProcessS3.REGION))
        .forcePathStyle(true)
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(s3.accessKey(),
            s3.secretKey())))
        .build();
  }

  /** Writes {@code length} pseudo-random bytes of {@code seed} to {@code out} in uneven chunks; returns the SHA-256. */
  static byte[] writeRandom(OutputStream out, long length, long seed) throws IOException {
    Random r = new Random(seed);
    MessageDigest sha = sha256();
    byte[] buf = new byte[64 * 1024 + 7];
    long left = length;
    while (left > 0) {
      int n = (int) Math.min(left, 1 + r.nextInt(buf.length));
      r.nextBytes(buf);
      out.write(buf, 0, n);
      sha.update(buf, 0, n);
      left -= n;
    }
    return sha.digest();
  }

  /** SHA-256 and length of a stream, read to its end. */
  static byte[] digest(InputStream in) throws IOException {
    MessageDigest sha = sha256();
    byte[] buf = new byte[32 * 1024];
    int n;
    while ((n = in.read(buf)) >= 0) {
      sha.update(buf, 0, n);
    }
    return sha.digest();
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
