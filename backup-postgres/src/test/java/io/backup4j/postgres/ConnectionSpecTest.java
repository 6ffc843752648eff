package io.backup4j.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.ConfigurationException;
import org.junit.jupiter.api.Test;

class ConnectionSpecTest {
  @Test
  void libpqUriGivesHostPortDatabaseUserAndPassword() {
    ConnectionSpec s = ConnectionSpec.parse("postgres://app:s%40cr%3At+x@db.internal:6543/shop?sslmode=require");
    assertThat(s.host()).isEqualTo("db.internal");
    assertThat(s.port()).isEqualTo(6543);
    assertThat(s.database()).isEqualTo("shop");
    assertThat(s.user()).isEqualTo("app");
    assertThat(new String(s.password().reveal())).isEqualTo("s@cr:t+x");
    assertThat(s.libpqEnvironment()).containsEntry("PGSSLMODE", "require").containsEntry("PGHOST", "db.internal")
        .containsEntry("PGPORT", "6543").containsEntry("PGDATABASE", "shop").containsEntry("PGUSER", "app")
        .doesNotContainKey("PGPASSWORD");
  }

  @Test
  void pgjdbcDataSourceKeepsADatabaseNameWithSpacesAndPlusSigns() {
    org.postgresql.ds.PGSimpleDataSource ds = new org.postgresql.ds.PGSimpleDataSource();
    ds.setServerNames(new String[] {"db.internal"});
    ds.setPortNumbers(new int[] {6543});
    ds.setDatabaseName("sales 2024+eu");
    ds.setUser("app");
    ConnectionSpec s = DataSources.describe(ds);
    // pg_dump connects by this name: "sales+2024+eu" would dump another database, or none
    assertThat(s.database()).isEqualTo("sales 2024+eu");
    assertThat(s.libpqEnvironment()).containsEntry("PGDATABASE", "sales 2024+eu");
  }

  @Test
  void passwordNeverAppearsInDescriptions() {
    ConnectionSpec s = ConnectionSpec.parse("postgresql://app:hunter2@h/db");
    assertThat(s.redacted()).isEqualTo("postgres://app@h:5432/db");
    assertThat(s.toString()).doesNotContain("hunter2");
    assertThat(s.password().toString()).isEqualTo("****");
    assertThat(s.libpqEnvironment().values()).noneMatch(v -> v.contains("hunter2"));
  }

  @Test
  void jdbcUrlIsAcceptedWithItsParameterNames() {
    ConnectionSpec s = ConnectionSpec.parse("jdbc:postgresql://10.0.0.5:5433/orders?user=u&password=p&connectTimeout=3");
    assertThat(s.host()).isEqualTo("10.0.0.5");
    assertThat(s.port()).isEqualTo(5433);
    assertThat(s.user()).isEqualTo("u");
    assertThat(new String(s.password().reveal())).isEqualTo("p");
    assertThat(s.libpqEnvironment()).containsEntry("PGCONNECT_TIMEOUT", "3");
  }

  @Test
  void ipv6HostsAndDefaultPortWork() {
    ConnectionSpec s = ConnectionSpec.parse("postgres://[::1]/db");
    assertThat(s.host()).isEqualTo("::1");
    assertThat(s.port()).isEqualTo(5432);
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:5432/db");
  }

  @Test
  void badLocationsAreRefusedWithTheFixAndWithoutThePassword() {
    assertThatThrownBy(() -> ConnectionSpec.parse("jdbc:mysql://h/db")).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("only jdbc:postgresql");
    assertThatThrownBy(() -> ConnectionSpec.parse("postgres://u:secretpw@h/db?sslmod=require"))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("unknown connection parameter 'sslmod'")
        .hasMessageNotContaining("secretpw");
    assertThatThrownBy(() -> ConnectionSpec.parse("postgres://h")).hasMessageContaining("no database");
    assertThatThrownBy(() -> ConnectionSpec.parse("postgres:///db")).hasMessageContaining("host");
  }

  @Test
  void dbnameConninfoQuotesAnyName() {
    assertThat(ConnectionSpec.dbnameConninfo("we'ird\\db=x")).isEqualTo("dbname='we\\'ird\\\\db=x'");
  }
}
