package io.agentsandbox.scheduler.backend.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class MetaCodecTest {

  static final PoolKey POOL = new PoolKey("team-a", "py");

  @Test
  void shouldRoundTripMetadataWithTheBlueprint() {
    var bp =
        new SandboxBlueprint(
            "py",
            RuntimeClass.of("kata-qemu"),
            "python:3.12",
            List.of("/bin/sh", "-c"),
            List.of("echo = and : here"),
            Map.of("A", "1", "B", "x=y"),
            250,
            1L << 30);
    var meta = new SandboxMeta(POOL, "py-1", LocalRuntime.BWRAP, bp, 10, 11, 12, 13);
    assertThat(MetaCodec.decode(MetaCodec.encode(meta))).isEqualTo(meta);
    assertThat(meta.id()).isEqualTo("team-a_py-1");
  }

  @Test
  void shouldReadMissingRuntimeAsNullAndMissingPidsAsZero() {
    Properties p = new Properties();
    p.setProperty("namespace", "team-a");
    p.setProperty("pool", "py");
    SandboxMeta m = MetaCodec.decode(p);
    assertThat(m.runtime()).isNull();
    assertThat(m.name()).isNull();
    assertThat(m.outerPid()).isZero();
    assertThat(m.initStart()).isZero();
  }

  @Test
  void shouldRoundTripABindingAndRefuseAnIncompleteOne() {
    var b =
        new BindingRecord(
            "c-1", POOL, "py-1", "tenant", 3, OnEmpty.COLD, LaunchType.COLD, 60_000, 123_456);
    assertThat(MetaCodec.decodeBinding(MetaCodec.encode(b))).isEqualTo(b);
    Properties p = MetaCodec.encode(b);
    p.remove("priority");
    assertThatThrownBy(() -> MetaCodec.decodeBinding(p)).isInstanceOf(RuntimeException.class);
  }

  @Test
  void shouldParseAProcStatLineWhoseCommandHoldsSpacesAndParens() {
    String stat =
        "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
    assertThat(Procs.parseStartTime(stat)).isEqualTo(987654);
  }
}
