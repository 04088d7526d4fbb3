package io.agentsandbox.scheduler.backend.local;

import io.agentsandbox.core.model.ExecRequest;
import io.agentsandbox.core.model.SandboxBlueprint;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Who a sandbox runs as and the environments of the processes in and around it. Stateless. */
final class SandboxEnv {
  private SandboxEnv() {}

  /** The unprivileged host uid/gid sandboxes run as when the server runs as root. */
  static final int SANDBOX_UID = 65534;

  static final String PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  /** Default command: an idle shell that reaps children until told to stop. */
  static final List<String> IDLE_INIT =
      List.of("/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 2147483647 & wait; done");

  /** The environment of every process in a sandbox: PATH, HOME, LANG, then the template's. */
  static Map<String, String> base(SandboxBlueprint bp) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", PATH_ENV);
    env.put("HOME", ExecRequest.WORKSPACE);
    env.put("LANG", "C.UTF-8");
    env.putAll(bp.env());
    return env;
  }

  /** The environment of the runtime tools started on the host (runsc, bwrap, nsenter). */
  static Map<String, String> host() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PATH", PATH_ENV);
    env.put("LANG", "C.UTF-8");
    return env;
  }

  /** A sandbox's hostname: its name, cut to 63 characters. */
  static String hostname(String name) {
    return name.length() <= 63 ? name : name.substring(0, 63);
  }
}
