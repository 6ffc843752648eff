package io.backup4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Tests of the suite itself: a correct sink passes it, and each broken rule makes the tests that guard it fail. A
 * conformance kit that passes broken sinks would give plugin authors false confidence.
 */
class ConformanceSuiteCatchesFaultsTest {

  /** Runs the suite with a fault and returns the names of the test methods that failed. */
  private static synchronized Set<String> failuresWith(FaultySink.Fault fault) {
    FaultySinkSuite.fault = fault;
    FaultySinkSuite.active = true;
    Set<String> failed = new TreeSet<>();
    Launcher launcher = LauncherFactory.create();
    try {
      launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(FaultySinkSuite.class)).build(),
        new TestExecutionListener() {
          @Override
          public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            if (result.getStatus() == TestExecutionResult.Status.FAILED
                && id.getSource().orElse(null) instanceof MethodSource m) {
              failed.add(m.getMethodName());
            }
          }
        });
    } finally {
      FaultySinkSuite.active = false;
      FaultySinkSuite.fault = FaultySink.Fault.NONE;
    }
    return failed;
  }

  @Test
  void correctSinkPassesEveryTest() {
    assertThat(failuresWith(FaultySink.Fault.NONE)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(value = FaultySink.Fault.class, mode = EnumSource.Mode.EXCLUDE, names = "NONE")
  void everyBrokenRuleFailsTheTestsThatGuardIt(FaultySink.Fault fault) {
    Set<String> expected = switch (fault) {
      case VISIBLE_BEFORE_COMMIT -> Set.of("uncommittedWriteIsInvisibleWhileInProgress",
          "overwriteIsInvisibleUntilCommit", "writerClosedWithoutCommitLeavesNothingVisible",
          "writeWhoseSourceFailsMidStreamLeavesNothingVisible");
      case CLOSE_COMMITS -> Set.of("writerClosedWithoutCommitLeavesNothingVisible",
          "writeWhoseSourceFailsMidStreamLeavesNothingVisible", "abortedOverwriteKeepsThePreviousObject");
      case NO_KEY_VALIDATION -> Set.of("invalidKeyIsRejectedWithConfigurationExceptionByEveryOperation",
          "listingRejectsAnInvalidPrefix");
      case LIST_IN_REVERSE -> Set.of("listingManyKeysReturnsEveryKeyOnceInAscendingOrderAndBatchDeleteRemovesThem",
          "listingOrdersKeysByStringComparisonNotByDirectoryStructure");
      case CREATE_ONLY_OVERWRITES -> Set.of("createOnlyFailsWithAlreadyExistsWhenTheKeyExistsAndKeepsTheOriginal",
          "concurrentCreateOnlyWritersOfOneKeyHaveExactlyOneWinner");
      case MISSING_READ_IS_EMPTY -> Set.of("readingAMissingKeyThrowsNotFound", "deletedObjectIsGoneFromStatListAndRead");
      case RANGE_PAST_END_THROWS -> Set.of("rangeStartingAtOrPastTheEndIsEmpty");
      case DELETE_MISSING_THROWS -> Set.of("deletingAMissingKeyIsNotAnError",
          "deleteAllRemovesEveryGivenKeyAndIgnoresMissingOnes");
      case CLOSED_STREAM_LOSES_DATA -> Set.of("commitAfterTheStreamWasClosedPublishesTheObject");
      case WHOLE_OBJECT_IN_HEAP -> Set.of("largeObjectIsWrittenAndReadWithBoundedHeap");
      case NONE -> throw new AssertionError();
    };
    if (fault == FaultySink.Fault.WHOLE_OBJECT_IN_HEAP) {
      Optional<String> unusable = HeapSampler.unusableBecause();
      assumeThat(unusable).as(unusable.orElse("")).isEmpty();
    }
    assertThat(failuresWith(fault)).as("tests failing with %s", fault).containsAll(expected);
  }
}
