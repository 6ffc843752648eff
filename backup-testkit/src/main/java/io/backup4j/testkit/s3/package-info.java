/**
 * An in-process S3-compatible server for tests ({@link io.backup4j.testkit.s3.InProcessS3}), backed by
 * <a href="https://github.com/gaul/s3proxy">s3proxy</a>. s3proxy is an optional dependency of the testkit: a test
 * that uses this package adds {@code org.gaul:s3proxy} to its own test classpath.
 */
@NullMarked
package io.backup4j.testkit.s3;

import org.jspecify.annotations.NullMarked;
