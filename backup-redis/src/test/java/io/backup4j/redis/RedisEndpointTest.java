package io.backup4j.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.api.ConfigurationException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisEndpointTest {
  private static RedisEndpoint parse(String uri, Map<String, String> options, Map<String, String> secrets) {
    return RedisEndpoint.parse(uri, new Options(options, RedisEndpoint.CONNECTION_OPTIONS, "test"),
        FakeSessions.context(secrets, Path.of("/tmp")));
  }

  @Test
  void userInfoGivesUserAndPasswordAndNeitherIsShown() {
    RedisEndpoint e = parse("redis://backup:p%40ss@cache.internal:6380", Map.of(), Map.of());
    assertThat(e.user).isEqualTo("backup");
    assertThat(new String(e.password.reveal())).isEqualTo("p@ss");
    assertThat(e.describe()).isEqualTo("redis://cache.internal:6380");
    assertThat(e.toString()).doesNotContain("p@ss").doesNotContain("backup");
  }

  @Test
  void aPlusSignInTheUserInfoIsAPlusSignNotASpace() {
    // RFC 3986 allows '+' unencoded in user-info; form-decoding it as a space fails AUTH with a correct password
    RedisEndpoint e = parse("redis://ops+backup:pa+ss%2Bw0rd@h:1", Map.of(), Map.of());
    assertThat(e.user).isEqualTo("ops+backup");
    assertThat(new String(e.password.reveal())).isEqualTo("pa+ss+w0rd");
  }

  @Test
  void passwordFallsBackToTheContextSecretAndPortTo6379() {
    RedisEndpoint e = parse("rediss://[::1]", Map.of("user", "u"), Map.of("redis.password", "from-secret"));
    assertThat(e.tls).isTrue();
    assertThat(e.port).isEqualTo(6379);
    assertThat(e.user).isEqualTo("u");
    assertThat(new String(e.password.reveal())).isEqualTo("from-secret");
    assertThat(e.describe()).isEqualTo("rediss://[::1]:6379");
  }

  @Test
  void databasePathIsParsedAndAnythingElseRefused() {
    assertThat(parse("redis://h:1/3", Map.of(), Map.of()).database).hasValue(3);
    assertThatThrownBy(() -> parse("redis://h:1/x", Map.of(), Map.of()))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("database number");
    assertThatThrownBy(() -> parse("redis://:secret@h:1/?password=x", Map.of(), Map.of()))
        .isInstanceOf(ConfigurationException.class).hasMessageNotContaining("secret");
    assertThatThrownBy(() -> parse("http://h:1", Map.of(), Map.of()))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("redis://");
    assertThatThrownBy(() -> parse("redis://h:1", Map.of("trustStore", "/x.p12"), Map.of()))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("rediss://");
  }
}
