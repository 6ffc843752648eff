package io.backup4j.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.backup4j.testkit.Docker.Mode;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class DockerTest {
  @Test
  void modeNeverSelectsEmbeddedWithoutAskingDocker() {
    AtomicBoolean asked = new AtomicBoolean();
    assertThat(Docker.useContainers(Mode.NEVER, () -> {
      asked.set(true);
      return true;
    }, "PostgreSQL 14")).isFalse();
    assertThat(asked).isFalse();
  }

  @Test
  void modeAutoSelectsContainersOnlyWhereDockerIsAvailable() {
    assertThat(Docker.useContainers(Mode.AUTO, () -> false, "Redis")).isFalse();
    assertThat(Docker.useContainers(Mode.AUTO, () -> true, "Redis")).isTrue();
  }

  @Test
  void modeAlwaysWithoutDockerFailsNamingTheModeProperty() {
    assertThatThrownBy(() -> Docker.useContainers(Mode.ALWAYS, () -> false, "S3"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("backup4j.testkit.containers=always")
        .hasMessageContaining("S3 fixture")
        .hasMessageContaining("backup4j.testkit.containers=auto");
    assertThat(Docker.useContainers(Mode.ALWAYS, () -> true, "S3")).isTrue();
  }

  @Test
  void modeParsesNeverAutoAlwaysAndDefaultsToAuto() {
    assertThat(Mode.parse(null)).isEqualTo(Mode.AUTO);
    assertThat(Mode.parse(" ")).isEqualTo(Mode.AUTO);
    assertThat(Mode.parse("never")).isEqualTo(Mode.NEVER);
    assertThat(Mode.parse("Auto")).isEqualTo(Mode.AUTO);
    assertThat(Mode.parse("ALWAYS ")).isEqualTo(Mode.ALWAYS);
    assertThatThrownBy(() -> Mode.parse("sometimes")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("backup4j.testkit.containers=sometimes").hasMessageContaining("never, auto or always");
  }

  @Test
  void systemPropertySelectsTheMode() {
    String old = System.getProperty(Docker.MODE_PROPERTY);
    try {
      System.setProperty(Docker.MODE_PROPERTY, "never");
      assertThat(Docker.mode()).isEqualTo(Mode.NEVER);
      assertThat(Docker.useContainers("PostgreSQL 14")).isFalse();
      System.setProperty(Docker.MODE_PROPERTY, "always");
      assertThat(Docker.mode()).isEqualTo(Mode.ALWAYS);
    } finally {
      if (old == null) {
        System.clearProperty(Docker.MODE_PROPERTY);
      } else {
        System.setProperty(Docker.MODE_PROPERTY, old);
      }
    }
  }

  @Test
  void availabilityCheckNeverThrowsAndIsStable() {
    // true on a machine with a Docker engine, false here (no engine); either way it must answer, not throw
    boolean first = Docker.available();
    assertThat(Docker.available()).isEqualTo(first);
    assertThat(Docker.testcontainersOnClassPath()).as("test class path has Testcontainers").isTrue();
    if (!first) {
      System.err.println("[backup4j testkit] no Docker engine here: container fixtures are not exercised");
    }
  }
}
