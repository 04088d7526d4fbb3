package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxBlueprint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The {@code .properties} forms of a sandbox's metadata and of its claim binding. Pure; stateless.
 */
final class MetaCodec {
  private MetaCodec() {}

  static Properties encode(SandboxMeta m) {
    Properties p = new Properties();
    p.setProperty("namespace", m.pool().namespace());
    p.setProperty("pool", m.pool().name());
    p.setProperty("sandbox", m.name());
    p.setProperty("runtime", m.runtime().wireName());
    p.setProperty("outerPid", Long.toString(m.outerPid()));
    p.setProperty("outerStart", Long.toString(m.outerStart()));
    p.setProperty("initPid", Long.toString(m.initPid()));
    p.setProperty("initStart", Long.toString(m.initStart()));
    SandboxBlueprint bp = m.blueprint();
    p.setProperty("template", bp.templateName());
    p.setProperty("runtimeClass", bp.runtimeClass().name());
    p.setProperty("image", bp.image());
    p.setProperty("cpuMillis", Long.toString(bp.cpuMillis()));
    p.setProperty("memoryBytes", Long.toString(bp.memoryBytes()));
    putList(p, "command.", bp.command());
    putList(p, "args.", bp.args());
    for (var e : bp.env().entrySet()) p.setProperty("env." + e.getKey(), e.getValue());
    return p;
  }

  /**
   * Reads metadata; fields a file lacks come back null (names, runtime) or 0 (PIDs).
   *
   * @throws RuntimeException on a malformed value
   */
  static SandboxMeta decode(Properties p) {
    String runtime = p.getProperty("runtime");
    return new SandboxMeta(
        new PoolKey(p.getProperty("namespace"), p.getProperty("pool")),
        p.getProperty("sandbox"),
        runtime == null ? null : LocalRuntime.parse(runtime),
        blueprintOf(p),
        longOf(p, "outerPid"),
        longOf(p, "outerStart"),
        longOf(p, "initPid"),
        longOf(p, "initStart"));
  }

  static long longOf(Properties p, String key) {
    return Long.parseLong(p.getProperty(key, "0"));
  }

  private static SandboxBlueprint blueprintOf(Properties p) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String k : p.stringPropertyNames()) {
      if (k.startsWith("env.")) env.put(k.substring(4), p.getProperty(k));
    }
    return new SandboxBlueprint(
        p.getProperty("template", ""),
        RuntimeClass.of(p.getProperty("runtimeClass", "")),
        p.getProperty("image", ""),
        getList(p, "command."),
        getList(p, "args."),
        env,
        Long.parseLong(p.getProperty("cpuMillis", "0")),
        Long.parseLong(p.getProperty("memoryBytes", "0")));
  }

  static Properties encode(BindingRecord b) {
    Properties p = new Properties();
    p.setProperty("claimId", b.claimId());
    p.setProperty("namespace", b.pool().namespace());
    p.setProperty("pool", b.pool().name());
    p.setProperty("sandbox", b.sandboxName());
    p.setProperty("tenant", b.tenant());
    p.setProperty("priority", Integer.toString(b.priority()));
    p.setProperty("onEmpty", b.onEmpty().name());
    p.setProperty("launchType", b.launchType().name());
    p.setProperty("ttlMs", Long.toString(b.ttlMs()));
    p.setProperty("expiresAtEpochMs", Long.toString(b.expiresAtEpochMs()));
    return p;
  }

  /**
   * @throws RuntimeException on a missing or malformed field
   */
  static BindingRecord decodeBinding(Properties p) {
    return new BindingRecord(
        p.getProperty("claimId"),
        new PoolKey(p.getProperty("namespace"), p.getProperty("pool")),
        p.getProperty("sandbox"),
        p.getProperty("tenant"),
        Integer.parseInt(p.getProperty("priority")),
        OnEmpty.valueOf(p.getProperty("onEmpty")),
        LaunchType.valueOf(p.getProperty("launchType")),
        Long.parseLong(p.getProperty("ttlMs")),
        Long.parseLong(p.getProperty("expiresAtEpochMs")));
  }

  private static void putList(Properties p, String prefix, List<String> values) {
    p.setProperty(prefix + "n", Integer.toString(values.size()));
    for (int i = 0; i < values.size(); i++) p.setProperty(prefix + i, values.get(i));
  }

  private static List<String> getList(Properties p, String prefix) {
    int n = Integer.parseInt(p.getProperty(prefix + "n", "0"));
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(p.getProperty(prefix + i, ""));
    return out;
  }
}
