package io.backup4j.testkit;

import io.backup4j.api.BackupSink;
import io.backup4j.api.SinkFeature;
import java.util.Set;
import org.junit.jupiter.api.condition.EnabledIf;

/**
 * The conformance suite run against a {@link FaultySink}; started only by {@link ConformanceSuiteCatchesFaultsTest}
 * through the JUnit launcher (its name does not match the test runner's patterns).
 */
@EnabledIf(value = "active", disabledReason = "runs only inside ConformanceSuiteCatchesFaultsTest, with a fault injected")
class FaultySinkSuite extends BackupSinkConformanceTest {
  /** Whether {@link ConformanceSuiteCatchesFaultsTest} is running this suite right now. */
  static volatile boolean active;

  static boolean active() {
    return active;
  }

  /** The fault the next run injects; set by the launching test, which runs one suite at a time. */
  static volatile FaultySink.Fault fault = FaultySink.Fault.NONE;

  @Override
  protected BackupSink newSink() {
    return new FaultySink(fault);
  }

  @Override
  protected Set<SinkFeature> expectedFeatures() {
    return Set.of(SinkFeature.CONDITIONAL_CREATE, SinkFeature.RANGED_READ);
  }

  @Override
  protected long largeObjectSize() {
    return 3L * 1024 * 1024; // heap-backed
  }

  @Override
  protected boolean storageKeepsObjectsInThisHeap() {
    return fault != FaultySink.Fault.WHOLE_OBJECT_IN_HEAP;
  }
}
