package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongUnaryOperator;
import java.util.function.Predicate;

/**
 * What restart recovery does with each sandbox a previous run left, decided from what is on disk
 * and the plan alone. Pure: no I/O, no clock (the caller passes the time and the process table).
 */
final class RecoveryDecision {
  private RecoveryDecision() {}

  /**
   * One sandbox directory of a previous run, as read.
   *
   * @param dirName the directory's name (the sandbox's id)
   * @param meta its metadata
   * @param binding its claim's binding, or null when it was never claimed
   * @param released true when its claim was released
   */
  record Leftover(String dirName, SandboxMeta meta, BindingRecord binding, boolean released) {}

  /** Keep it (subject to its processes still answering) or destroy it. */
  sealed interface Verdict permits Keep, Reap {}

  /**
   * @param poolBlueprint the blueprint its pool is (re)declared with: the declared one, or the
   *     sandbox's own when the pool is no longer declared
   */
  record Keep(SandboxBlueprint poolBlueprint) implements Verdict {}

  record Reap(String why) implements Verdict {}

  /**
   * Unclaimed sandboxes are kept when their pool is still declared with the same template and their
   * runtime class still maps to the same runtime; bound ones when their claim was not released,
   * names this sandbox, has TTL left and still routes to its pool's shard.
   *
   * @param declared the pools declared now
   * @param runtimeOf the current runtime mapping
   * @param nowEpochMs the wall-clock time now
   */
  static Verdict decide(
      Leftover l,
      Map<PoolKey, SandboxBlueprint> declared,
      Predicate<BindingRecord> routable,
      Function<RuntimeClass, LocalRuntime> runtimeOf,
      long nowEpochMs) {
    SandboxMeta m = l.meta();
    BindingRecord b = l.binding();
    if (m.runtime() == null || m.name() == null || !l.dirName().equals(m.id())) {
      return new Reap("incomplete metadata");
    }
    if (l.released()) return new Reap("its claim was released");
    SandboxBlueprint pool = declared.get(m.pool());
    if (b == null) {
      if (pool == null) return new Reap("its pool is no longer declared");
      if (!pool.equals(m.blueprint())) return new Reap("its pool's template changed");
      if (runtimeOf.apply(m.blueprint().runtimeClass()) != m.runtime())
        return new Reap("its runtime class now maps to another runtime");
      return new Keep(pool);
    }
    if (!b.sandboxName().equals(m.name()) || !b.pool().equals(m.pool()))
      return new Reap("its binding names another sandbox");
    if (b.expiresAtEpochMs() != 0 && b.expiresAtEpochMs() <= nowEpochMs)
      return new Reap("its claim's TTL has passed");
    if (!routable.test(b))
      return new Reap("its claim id no longer routes to its pool's shard (--shards changed)");
    return new Keep(pool != null ? pool : m.blueprint());
  }

  /**
   * Null when the processes the metadata names are still the ones started, else why not. A
   * bubblewrap exec enters the namespaces of the init PID: it must be the very process started.
   *
   * @param startTimeOf a PID's start time now, 0 when it is gone
   */
  static String processesGone(SandboxMeta m, LongUnaryOperator startTimeOf) {
    if (!same(m.outerPid(), m.outerStart(), startTimeOf)) return "its process is gone";
    if (m.runtime() == LocalRuntime.BWRAP && !same(m.initPid(), m.initStart(), startTimeOf))
      return "its init process is gone";
    return null;
  }

  private static boolean same(long pid, long start, LongUnaryOperator startTimeOf) {
    return pid > 1 && start > 0 && startTimeOf.applyAsLong(pid) == start;
  }

  /**
   * The runsc containers to delete: those whose state file ({@code <id>.state} or {@code
   * <id>_sandbox:<x>.state}) belongs to no kept sandbox.
   */
  static List<String> orphanContainers(List<String> stateFiles, Predicate<String> kept) {
    List<String> out = new ArrayList<>();
    for (String file : stateFiles) {
      if (!file.endsWith(".state")) continue;
      String id = file.substring(0, file.length() - ".state".length());
      int sep = id.indexOf("_sandbox:");
      if (sep >= 0) id = id.substring(0, sep);
      if (!kept.test(id)) out.add(id);
    }
    return out;
  }
}
