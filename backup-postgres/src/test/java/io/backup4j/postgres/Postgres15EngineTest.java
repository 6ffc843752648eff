package io.backup4j.postgres;

/** The engine tests against a PostgreSQL 15 server (binaries jar copied by the build). */
class Postgres15EngineTest extends PostgresEngineTestBase {
  @Override
  int serverMajor() {
    return 15;
  }
}
