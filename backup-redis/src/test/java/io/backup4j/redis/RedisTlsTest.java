package io.backup4j.redis;

import static io.backup4j.redis.RedisTestSupport.backup;
import static io.backup4j.redis.RedisTestSupport.restore;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.backup4j.api.SourceException;
import io.backup4j.testkit.redis.RedisFixture;
import io.backup4j.testkit.redis.RedisTestClient;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rediss:// against Debian's redis-server (built with TLS) with a self-signed certificate made by openssl. Skipped
 * loudly when either is missing: then TLS is untested.
 */
class RedisTlsTest {
  @TempDir Path tmp;

  private Optional<Path> openssl() {
    for (String d : List.of("/usr/bin", "/usr/local/bin", "/bin")) {
      Path p = Path.of(d, "openssl");
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  @Test
  void redissSnapshotAndLiveRestoreWithATrustStore() throws Exception {
    assumeTrue(RedisFixture.systemBinary().isPresent(),
        "SKIPPED LOUDLY: no system redis-server (Debian's is built with TLS); rediss:// is untested");
    Optional<Path> openssl = openssl();
    assumeTrue(openssl.isPresent(), "SKIPPED LOUDLY: no openssl to make a test certificate; rediss:// is untested");
    Path cert = tmp.resolve("cert.pem");
    Path key = tmp.resolve("key.pem");
    Process p = new ProcessBuilder(List.of(openssl.get().toString(), "req", "-x509", "-newkey", "rsa:2048",
        "-nodes", "-keyout", key.toString(), "-out", cert.toString(), "-days", "1", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"))
        .redirectErrorStream(true).redirectOutput(tmp.resolve("openssl.log").toFile()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(tmp.resolve("openssl.log"))).isZero();

    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(cert)) {
      ks.setCertificateEntry("redis", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    Path trustStore = tmp.resolve("trust.p12");
    try (OutputStream out = Files.newOutputStream(trustStore)) {
      ks.store(out, "changeit".toCharArray());
    }
    Map<String, String> tls = Map.of("trustStore", trustStore.toString(), "trustStorePassword", "changeit");

    try (RedisFixture source = RedisFixture.system().tls(cert, key).disklessSync(true).start();
        RedisTestClient sc = source.client();
        RedisFixture target = RedisFixture.system().tls(cert, key).start();
        RedisTestClient tc = target.client()) {
      RedisData.populate(sc, true);
      String uri = "rediss://localhost:" + source.tlsPort();

      assertThatThrownBy(() -> backup(uri, Map.of(), Map.of(), tmp.resolve("untrusted")))
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("TLS");

      FakeSessions.Backup b = backup(uri, tls, Map.of(), tmp.resolve("parts"));
      assertThat(b.metadata).containsEntry("redis.transfer", "diskless");
      restore(b, "rediss://localhost:" + target.tlsPort(), tls, Map.of(), tmp.resolve("rt"));
      RedisData.assertSameData(sc, tc);
    }
  }
}
