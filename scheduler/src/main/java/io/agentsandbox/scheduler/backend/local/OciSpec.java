package io.agentsandbox.scheduler.backend.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentsandbox.core.model.ExecRequest;
import java.util.List;

/**
 * Builds the OCI runtime spec ({@code config.json}) of a gVisor sandbox: a read-only root, the
 * host's system directories bound read-only, a private {@code /tmp}, the workspace read-write, its
 * own PID, network, IPC, UTS and mount namespaces, and the template's limits. Pure; stateless.
 */
final class OciSpec {
  private OciSpec() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The spec as a JSON tree. */
  static ObjectNode build(LaunchSpec spec, HostRoot host) {
    ObjectNode root = JSON.createObjectNode();
    root.put("ociVersion", "1.0.0");
    ObjectNode process = root.putObject("process");
    process.put("terminal", false);
    int uid = spec.dropToSandboxUser() ? SandboxEnv.SANDBOX_UID : 0;
    process.putObject("user").put("uid", uid).put("gid", uid);
    strings(process.putArray("args"), spec.initArgv());
    ArrayNode env = process.putArray("env");
    spec.env().forEach((k, v) -> env.add(k + "=" + v));
    process.put("cwd", ExecRequest.WORKSPACE);
    root.putObject("root").put("path", spec.rootfs().toString()).put("readonly", true);
    root.put("hostname", spec.hostname());

    ArrayNode mounts = root.putArray("mounts");
    mount(mounts, "/proc", "proc", "proc", List.of());
    mount(mounts, "/tmp", "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=1777"));
    String emptyVar = null;
    for (HostRoot.Entry e : host.entries()) {
      if (!e.isSharedDir()) continue;
      if (e.name().equals(NO_HOST_VAR)) {
        emptyVar = e.path();
        // runsc runs with --host-uds=all: /var holds host sockets (/var/run, kubelet, ...) a
        // sandbox process could connect to. An empty /var instead.
        mount(mounts, e.path(), "tmpfs", "tmpfs", List.of("nosuid", "nodev", "mode=755"));
      } else {
        mount(mounts, e.path(), "bind", e.path(), List.of("rbind", "ro"));
      }
    }
    if (spec.maskedStateDir() != null
        && (emptyVar == null || !spec.maskedStateDir().startsWith(emptyVar))) {
      // (a state dir under the empty /var is not there to mask)
      String masked = spec.maskedStateDir().toString();
      mount(mounts, masked, "tmpfs", "tmpfs", List.of("ro", "size=4k"));
    }
    mount(
        mounts, ExecRequest.WORKSPACE, "bind", spec.workspace().toString(), List.of("rbind", "rw"));
    for (SandboxInit.Bind b : spec.binds()) {
      mount(
          mounts,
          b.destination(),
          "bind",
          b.source().toString(),
          List.of("rbind", b.readOnly() ? "ro" : "rw"));
    }

    ObjectNode linux = root.putObject("linux");
    ArrayNode ns = linux.putArray("namespaces");
    for (String type : List.of("pid", "network", "ipc", "uts", "mount")) {
      ns.addObject().put("type", type);
    }
    linux.put("cgroupsPath", spec.cgroupsPath());
    ObjectNode resources = linux.putObject("resources");
    if (spec.memoryBytes() > 0) resources.putObject("memory").put("limit", spec.memoryBytes());
    if (spec.cpuMillis() > 0) {
      resources.putObject("cpu").put("period", 100_000).put("quota", spec.cpuMillis() * 100);
    }
    return root;
  }

  /** The host directory gVisor sandboxes never see: host unix sockets live there. */
  static final String NO_HOST_VAR = "var";

  /** The spec as the text of {@code config.json}. */
  static String json(LaunchSpec spec, HostRoot host) {
    try {
      return JSON.writeValueAsString(build(spec, host));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write an OCI spec", e);
    }
  }

  private static void mount(
      ArrayNode mounts, String dest, String type, String source, List<String> options) {
    ObjectNode m = mounts.addObject();
    m.put("destination", dest).put("type", type).put("source", source);
    strings(m.putArray("options"), options);
  }

  private static void strings(ArrayNode array, List<String> values) {
    values.forEach(array::add);
  }
}
