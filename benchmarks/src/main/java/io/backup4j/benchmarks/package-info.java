/**
 * JMH benchmarks of the transforms and the backup pipeline on realistic table data, plus plain {@code main}
 * programs for what JMH hides (a fresh JVM, paired ratios). Never published; see {@code benchmarks/README.md}.
 */
@NullMarked
package io.backup4j.benchmarks;

import org.jspecify.annotations.NullMarked;
