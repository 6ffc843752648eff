/**
 * Repositories in Amazon S3 or an S3-compatible store (MinIO, Ceph RGW, Cloudflare R2, s3proxy), scheme {@code s3}:
 * {@code s3://bucket/prefix?region=…&endpoint=…&pathStyle=true}. See {@link io.backup4j.storage.s3.S3Sink} for the
 * options and {@code docs/s3.md} for the quirks of S3-compatible servers.
 */
@NullMarked
package io.backup4j.storage.s3;

import org.jspecify.annotations.NullMarked;
