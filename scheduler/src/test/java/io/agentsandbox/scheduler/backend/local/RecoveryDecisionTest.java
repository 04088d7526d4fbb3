package io.agentsandbox.scheduler.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The recovery decision, table-driven: one row per way a leftover is kept or destroyed. */
class RecoveryDecisionTest {

  static final long NOW = 1_000_000;
  static final PoolKey POOL = new PoolKey("default", "py");
  static final SandboxBlueprint BP =
      new SandboxBlueprint(
          "py", RuntimeClass.GVISOR, "", List.of(), List.of(), Map.of(), 500, 256L << 20);
  static final SandboxBlueprint CHANGED =
      new SandboxBlueprint(
          "py", RuntimeClass.GVISOR, "", List.of(), List.of(), Map.of(), 1000, 256L << 20);
  static final SandboxMeta META =
      new SandboxMeta(POOL, "py-abcde", LocalRuntime.GVISOR, BP, 100, 11, 0, 0);
  static final String ID = "default_py-abcde";

  static final Map<PoolKey, SandboxBlueprint> DECLARED = Map.of(POOL, BP);
  static final Predicate<BindingRecord> ROUTES = b -> true;
  static final Function<RuntimeClass, LocalRuntime> MAP =
      rc -> rc.equals(RuntimeClass.GVISOR) ? LocalRuntime.GVISOR : LocalRuntime.BWRAP;

  static BindingRecord binding(PoolKey pool, String sandbox, long expiresAt) {
    return new BindingRecord(
        "claim-1", pool, sandbox, "t", 0, OnEmpty.WAIT, LaunchType.WARM, 60_000, expiresAt);
  }

  static final BindingRecord BOUND = binding(POOL, "py-abcde", NOW + 1);

  static Arguments row(
      String expected,
      String dir,
      SandboxMeta meta,
      BindingRecord binding,
      boolean released,
      Map<PoolKey, SandboxBlueprint> declared,
      Predicate<BindingRecord> routable,
      Function<RuntimeClass, LocalRuntime> map) {
    return Arguments.of(
        expected,
        new RecoveryDecision.Leftover(dir, meta, binding, released),
        declared,
        routable,
        map);
  }

  static Stream<Arguments> table() {
    var noRuntime = new SandboxMeta(POOL, "py-abcde", null, BP, 100, 11, 0, 0);
    var noName = new SandboxMeta(POOL, null, LocalRuntime.GVISOR, BP, 100, 11, 0, 0);
    return Stream.of(
        row("keep " + BP, ID, META, null, false, DECLARED, ROUTES, MAP),
        row("keep " + BP, ID, META, BOUND, false, DECLARED, ROUTES, MAP),
        row("keep " + BP, ID, META, BOUND, false, Map.of(), ROUTES, MAP),
        row("keep " + BP, ID, META, binding(POOL, "py-abcde", 0), false, DECLARED, ROUTES, MAP),
        row("keep " + CHANGED, ID, META, BOUND, false, Map.of(POOL, CHANGED), ROUTES, MAP),
        row("incomplete metadata", ID, noRuntime, null, false, DECLARED, ROUTES, MAP),
        row("incomplete metadata", ID, noName, null, false, DECLARED, ROUTES, MAP),
        row("incomplete metadata", "default_other", META, null, false, DECLARED, ROUTES, MAP),
        row("its claim was released", ID, META, BOUND, true, DECLARED, ROUTES, MAP),
        row("its claim was released", ID, META, null, true, DECLARED, ROUTES, MAP),
        row("its pool is no longer declared", ID, META, null, false, Map.of(), ROUTES, MAP),
        row(
            "its pool's template changed",
            ID,
            META,
            null,
            false,
            Map.of(POOL, CHANGED),
            ROUTES,
            MAP),
        row(
            "its runtime class now maps to another runtime",
            ID,
            META,
            null,
            false,
            DECLARED,
            ROUTES,
            rc -> LocalRuntime.BWRAP),
        row(
            "its binding names another sandbox",
            ID,
            META,
            binding(POOL, "py-other", NOW + 1),
            false,
            DECLARED,
            ROUTES,
            MAP),
        row(
            "its binding names another sandbox",
            ID,
            META,
            binding(new PoolKey("default", "js"), "py-abcde", NOW + 1),
            false,
            DECLARED,
            ROUTES,
            MAP),
        row(
            "its claim's TTL has passed",
            ID,
            META,
            binding(POOL, "py-abcde", NOW),
            false,
            DECLARED,
            ROUTES,
            MAP),
        row(
            "its claim id no longer routes to its pool's shard (--shards changed)",
            ID,
            META,
            BOUND,
            false,
            DECLARED,
            b -> false,
            MAP));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void shouldDecide(
      String expected,
      RecoveryDecision.Leftover leftover,
      Map<PoolKey, SandboxBlueprint> declared,
      Predicate<BindingRecord> routable,
      Function<RuntimeClass, LocalRuntime> map) {
    RecoveryDecision.Verdict v = RecoveryDecision.decide(leftover, declared, routable, map, NOW);
    String actual =
        v instanceof RecoveryDecision.Keep k
            ? "keep " + k.poolBlueprint()
            : ((RecoveryDecision.Reap) v).why();
    assertThat(actual).isEqualTo(expected);
  }

  @Test
  void shouldTrustAPidOnlyWithItsStartTime() {
    var bwrap = new SandboxMeta(POOL, "py-abcde", LocalRuntime.BWRAP, BP, 100, 11, 200, 22);
    Map<Long, Long> live = Map.of(100L, 11L, 200L, 22L);
    assertThat(RecoveryDecision.processesGone(bwrap, pid -> live.getOrDefault(pid, 0L))).isNull();
    assertThat(RecoveryDecision.processesGone(bwrap, pid -> pid == 100 ? 11 : 99))
        .isEqualTo("its init process is gone");
    assertThat(RecoveryDecision.processesGone(bwrap, pid -> 0)).isEqualTo("its process is gone");
    var gvisorNoInit = META;
    assertThat(RecoveryDecision.processesGone(gvisorNoInit, pid -> pid == 100 ? 11 : 0)).isNull();
    var pidOne = new SandboxMeta(POOL, "py-abcde", LocalRuntime.GVISOR, BP, 1, 11, 0, 0);
    assertThat(RecoveryDecision.processesGone(pidOne, pid -> 11)).isEqualTo("its process is gone");
  }

  @Test
  void shouldDeleteRunscContainersOfNoKeptSandbox() {
    assertThat(
            RecoveryDecision.orphanContainers(
                List.of(
                    "default_a.state",
                    "default_b.state",
                    "default_c_sandbox:default_c.state",
                    "runsc.lock"),
                id -> id.equals("default_a")))
        .containsExactly("default_b", "default_c");
  }
}
