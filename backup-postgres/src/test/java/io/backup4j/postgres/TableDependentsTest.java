package io.backup4j.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TableDependentsTest {
  private static final String LIST = """
      ;
      ; Archive created at 2026-11-25 08:00:00 UTC
      ;
      210; 2615 16385 SCHEMA - app postgres
      220; 1259 16400 TABLE app users postgres
      221; 1259 16401 TABLE app users2 postgres
      222; 1259 16402 SEQUENCE app users_id_seq postgres
      223; 1259 16403 TABLE app orders postgres
      224; 1259 16404 TABLE app orders_2024 postgres
      225; 0 0 TABLE ATTACH app orders_2024 postgres
      300; 0 16400 TABLE DATA app users postgres
      301; 0 16401 TABLE DATA app users2 postgres
      302; 0 16404 TABLE DATA app orders_2024 postgres
      303; 0 0 SEQUENCE SET app users_id_seq postgres
      400; 2606 16410 CONSTRAINT app users users_pkey postgres
      401; 2606 16411 CONSTRAINT app users2 users2_pkey postgres
      402; 1259 16412 INDEX app users_lower_idx postgres
      403; 1259 16413 INDEX app users2_lower_idx postgres
      404; 2620 16414 TRIGGER app users users_audit postgres
      405; 2606 16415 FK CONSTRAINT app orders orders_user_fkey postgres
      406; 2606 16416 FK CONSTRAINT app users users_team_fkey postgres
      407; 0 0 COMMENT app COLUMN users.mood postgres
      408; 0 0 ACL app TABLE users postgres
      """;

  private static final String DEPS = String.join("\n",
      "i\tapp\tusers_lower_idx\tusers\t\t",
      "i\tapp\tusers2_lower_idx\tusers2\t\t",
      "S\tapp\tusers_id_seq\tusers\t\t",
      "p\tapp\torders_2024\torders\tapp\torders_2024",
      "f\tapp\torders_user_fkey\torders\tapp\tusers",
      "f\tapp\tusers_team_fkey\tusers\tapp\tteams") + "\n";

  private static List<Integer> ids(String filtered) {
    return filtered.lines().map(l -> Integer.parseInt(l.substring(0, l.indexOf(';')))).toList();
  }

  @Test
  void selectsTheTableWithItsDependentsButNotItsNamesakes() {
    String out = TableDependents.filterList(LIST, List.<String[]>of(new String[] {"app", "users"}),
        TableDependents.parse(DEPS));
    assertThat(ids(out)).containsExactly(220, 222, 300, 303, 400, 402, 404, 407, 408);
  }

  @Test
  void partitionedTableBringsPartitionsAndForeignKeysNeedBothEnds() {
    String out = TableDependents.filterList(LIST, List.<String[]>of(new String[] {"app", "orders"},
        new String[] {"app", "users"}), TableDependents.parse(DEPS));
    assertThat(ids(out)).contains(223, 224, 225, 302, 405).doesNotContain(406, 221, 301);
  }

  @Test
  void tableBringsTheTypesDomainsAndFunctionsItUsesButNotOthersOrOverloadPrefixes() {
    String list = """
        211; 1247 16390 TYPE app mood postgres
        212; 1247 16391 DOMAIN app email postgres
        213; 1247 16392 TYPE app moody postgres
        214; 1247 16393 TYPE shared address postgres
        215; 1255 16394 FUNCTION app audit_fn() postgres
        216; 1255 16395 FUNCTION app audit_fn(integer) postgres
        217; 1255 16396 FUNCTION app audit_fn_old() postgres
        218; 0 0 COMMENT app TYPE mood postgres
        219; 0 0 ACL app FUNCTION audit_fn() postgres
        220; 1259 16400 TABLE app users postgres
        221; 1259 16401 TABLE app users2 postgres
        """;
    String deps = String.join("\n",
        "t\tapp\tmood\tusers\tapp\tmood",
        "t\tapp\temail\tusers\tapp\temail",
        "t\tapp\taddress\tusers\tshared\taddress",
        "t\tapp\tmoody\tusers2\tapp\tmoody",
        "F\tapp\taudit_fn\tusers\tapp\taudit_fn") + "\n";
    String out = TableDependents.filterList(list, List.<String[]>of(new String[] {"app", "users"}),
        TableDependents.parse(deps));
    assertThat(ids(out)).containsExactly(211, 212, 214, 215, 216, 218, 219, 220);
  }
}
