/**
 * Test support for backup4j plugin authors and users: conformance suites a plugin extends to prove it honours the SPI
 * contract ({@link io.backup4j.testkit.BackupSinkConformanceTest}), and fixtures for their own tests
 * ({@link io.backup4j.testkit.TestProviderContext}).
 *
 * <p>This is a normal artifact (not a test-jar): depend on it in {@code test} scope.
 */
@NullMarked
package io.backup4j.testkit;

import org.jspecify.annotations.NullMarked;
