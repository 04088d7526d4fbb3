package io.agentsandbox.scheduler.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.RuntimeClass;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RuntimeMapTest {

  @Test
  void shouldMapDefaultAndRuncToBwrapGvisorToGvisorAndNothingElse() {
    RuntimeMap m = new RuntimeMap(Map.of(), null, null);
    assertThat(m.runtimeOf(RuntimeClass.DEFAULT)).isEqualTo(LocalRuntime.BWRAP);
    assertThat(m.runtimeOf(RuntimeClass.of("runc"))).isEqualTo(LocalRuntime.BWRAP);
    assertThat(m.runtimeOf(RuntimeClass.GVISOR)).isEqualTo(LocalRuntime.GVISOR);
    assertThat(m.runtimeOf(RuntimeClass.of("kata-qemu"))).isNull();
    assertThat(m.unavailableReason(RuntimeClass.of("kata-qemu")))
        .contains("--runtime-map kata-qemu=gvisor");
  }

  @Test
  void shouldApplyTheConfiguredMapKataAndWildcard() {
    RuntimeMap m =
        new RuntimeMap(Map.of("kata", "gvisor", "*", "bwrap", "default", "none"), null, null);
    assertThat(m.runtimeOf(RuntimeClass.of("kata-qemu"))).isEqualTo(LocalRuntime.GVISOR);
    assertThat(m.runtimeOf(RuntimeClass.of("youki"))).isEqualTo(LocalRuntime.BWRAP);
    assertThat(m.runtimeOf(RuntimeClass.DEFAULT)).isNull();
  }

  @Test
  void shouldExplainAnUnusableRuntime() {
    RuntimeMap m = new RuntimeMap(Map.of(), "runsc not found", null);
    assertThat(m.unavailableReason(RuntimeClass.GVISOR))
        .contains("runs on gvisor, which is not usable here: runsc not found");
    assertThat(m.unavailableReason(RuntimeClass.DEFAULT)).isNull();
    assertThat(m.anyUsable()).isTrue();
    assertThat(new RuntimeMap(Map.of(), "no", "no").anyUsable()).isFalse();
  }
}
