package io.backup4j.testkit.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DatabaseFingerprintTest {
  static EmbeddedPostgresServer pg;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(EmbeddedPostgresServer.binariesAvailable(EmbeddedPostgresServer.DEFAULT_MAJOR),
        "no embedded PostgreSQL binaries for this OS/architecture: fingerprint not exercised");
    pg = EmbeddedPostgresServer.builder().start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void sequencesDifferingOnlyInAPositionSetWithoutIsCalledHaveDifferentFingerprints() throws Exception {
    // setval(s, 500, false): the next nextval() returns 500. A restore that loses that position leaves the sequence
    // at its start (1000, not called): both report no last value in pg_sequences, yet they hand out different ids
    for (String db : new String[] {"fp_a", "fp_b", "fp_c"}) {
      pg.createDatabase(db);
      pg.execute(db, "CREATE SEQUENCE s START 1000");
    }
    pg.execute("fp_a", "SELECT setval('s', 500, false)");
    pg.execute("fp_c", "SELECT setval('s', 500, false)");

    assertThat(DatabaseFingerprint.sequences(pg, "fp_a")).isNotEqualTo(DatabaseFingerprint.sequences(pg, "fp_b"));
    assertThat(DatabaseFingerprint.sequences(pg, "fp_a")).as("equal states compare equal")
        .isEqualTo(DatabaseFingerprint.sequences(pg, "fp_c"));
    pg.execute("fp_c", "SELECT nextval('s')");
    assertThat(DatabaseFingerprint.sequences(pg, "fp_a")).as("a sequence that was advanced")
        .isNotEqualTo(DatabaseFingerprint.sequences(pg, "fp_c"));
  }
}
