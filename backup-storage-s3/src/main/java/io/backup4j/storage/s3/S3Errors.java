package io.backup4j.storage.s3;

import io.backup4j.api.AccessDeniedException;
import io.backup4j.api.AlreadyExistsException;
import io.backup4j.api.BackupException;
import io.backup4j.api.ConfigurationException;
import io.backup4j.api.NotFoundException;
import io.backup4j.api.Redaction;
import io.backup4j.api.SinkException;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/** Translation of SDK exceptions into backup4j's exception types, with messages that name the fix. */
final class S3Errors {
  private static final Set<String> CREDENTIAL_CODES = Set.of(
      "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired");

  private S3Errors() {}

  static int status(Throwable e) {
    return e instanceof AwsServiceException a ? a.statusCode() : -1;
  }

  static String code(Throwable e) {
    if (e instanceof AwsServiceException a && a.awsErrorDetails() != null && a.awsErrorDetails().errorCode() != null) {
      return a.awsErrorDetails().errorCode();
    }
    return "";
  }

  static boolean isNotFound(Throwable e) {
    return status(e) == 404;
  }

  static boolean isPreconditionFailed(Throwable e) {
    return status(e) == 412 || code(e).equals("PreconditionFailed");
  }

  /** 409 ConditionalRequestConflict: a concurrent conditional write to the same key is in progress. */
  static boolean isConditionalConflict(Throwable e) {
    return status(e) == 409 && code(e).equals("ConditionalRequestConflict");
  }

  /** Whether the server rejected a request header it does not implement (such as {@code If-None-Match} on PUT). */
  static boolean isNotImplemented(Throwable e) {
    return status(e) == 501 || code(e).equals("NotImplemented");
  }

  /**
   * A backup4j exception for a failed S3 call: {@code what} says what was attempted ("reading s3://b/k"). Credential
   * problems become {@link AccessDeniedException}, a missing bucket or key {@link NotFoundException}, everything else
   * {@link SinkException} carrying the S3 error code, HTTP status and request id.
   */
  static BackupException translate(String what, SdkException e) {
    String detail = describe(e);
    int status = status(e);
    String code = code(e);
    if (CREDENTIAL_CODES.contains(code)) {
      return new AccessDeniedException(what + " failed: S3 rejected the credentials (" + detail
          + "); check accessKey/secretKey (or s3.accessKey/s3.secretKey secrets, or the AWS default credential chain)", e);
    }
    if (status == 403) {
      return new AccessDeniedException(what + " failed: access denied (" + detail
          + "); check the credentials (accessKey/secretKey, the s3.* secrets or the AWS default chain) and that they"
          + " may access this bucket and prefix", e);
    }
    if (code.equals("NoSuchBucket")) {
      return new NotFoundException(what + " failed: the bucket does not exist (" + detail
          + "); create it, fix the bucket name, or pass createBucket=true", e);
    }
    if (status == 404) {
      return new NotFoundException(what + " failed: not found (" + detail + ")", e);
    }
    if (status == 301 || code.equals("PermanentRedirect") || code.equals("AuthorizationHeaderMalformed")) {
      return new ConfigurationException(what + " failed: the bucket is in another region (" + detail
          + "); set region= to the bucket's region", e);
    }
    if (isPreconditionFailed(e) || isConditionalConflict(e)) {
      return new AlreadyExistsException(what + " failed: the object already exists (" + detail + ")", e);
    }
    if (e instanceof SdkClientException) {
      return new SinkException(what + " failed: could not talk to S3 (" + detail
          + "); check endpoint=, the network and, for S3-compatible servers, pathStyle=true and checksums=when_required", e);
    }
    return new SinkException(what + " failed (" + detail + ")", e);
  }

  /** A one-line description of an SDK exception with nothing secret in it. */
  static String describe(Throwable e) {
    if (e instanceof AwsServiceException a) {
      StringBuilder sb = new StringBuilder();
      sb.append("HTTP ").append(a.statusCode());
      if (!code(a).isEmpty()) {
        sb.append(' ').append(code(a));
      }
      if (a.awsErrorDetails() != null && a.awsErrorDetails().errorMessage() != null) {
        sb.append(": ").append(a.awsErrorDetails().errorMessage());
      }
      if (a.requestId() != null) {
        sb.append(", request id ").append(a.requestId());
      }
      return Redaction.redact(sb.toString());
    }
    String m = e.getMessage();
    return Redaction.redact(e.getClass().getSimpleName() + (m == null ? "" : ": " + m));
  }
}
