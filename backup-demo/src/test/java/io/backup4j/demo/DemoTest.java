package io.backup4j.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The README's first command works: the demo restores an identical database. */
class DemoTest {
  @Test
  void demoRestoresAnIdenticalDatabase() throws Exception {
    boolean havePgDump = Demo.findPgDump().isPresent();
    if (!havePgDump) {
      System.err.println("SKIPPING DemoTest: pg_dump is not installed (apt-get install postgresql-client); CI installs it");
    }
    assumeTrue(havePgDump, "pg_dump is not installed (apt-get install postgresql-client)");
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int code = Demo.run(20_000, new PrintStream(buf, true, StandardCharsets.UTF_8));
    String out = buf.toString(StandardCharsets.UTF_8);
    assertThat(code).as(out).isZero();
    assertThat(out).contains("schema (pg_dump --schema-only) identical").contains("all identical")
        .contains("zstd + aes-gcm").contains("RESULT: the backup restored to an identical database.");
  }
}
