package io.agentsandbox.k8s.exec;

import io.agentsandbox.core.model.ExecRequest;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What an exec sends to the API server: the container it goes to and the argv, {@link #WRAPPER}
 * with the request's working directory, deadline, stdin length and env, then the command. Pure.
 */
final class ExecCommand {
  private ExecCommand() {}

  /**
   * The wrapper, run as {@code /bin/sh -c WRAPPER sh <workdir> <reaperSeconds> <stdinBytes>
   * <envCount> <NAME=value>... <command>...}.
   */
  static final String WRAPPER =
      "cd -- \"$1\" 2>/dev/null || { [ \"$1\" = "
          + ExecRequest.WORKSPACE
          + " ] && mkdir -p -- \"$1\" && cd -- \"$1\"; } "
          + "|| { echo \"cannot enter the working directory $1\" >&2; exit 125; }; "
          + "t=$2; n=$3; e=$4; shift 4; "
          + "while [ \"$e\" -gt 0 ]; do export \"$1\"; shift; e=$((e - 1)); done; "
          + "if command -v timeout >/dev/null 2>&1; then set -- timeout -s KILL \"$t\" \"$@\"; fi; "
          + "if [ \"$n\" -gt 0 ]; then head -c \"$n\" | \"$@\"; else exec \"$@\" </dev/null; fi";

  /**
   * The argv sent to the API server for {@code request}: {@link #WRAPPER} and its arguments, then
   * the command.
   */
  static List<String> command(ExecRequest request) {
    List<String> argv = new ArrayList<>(8 + request.env().size() + request.command().size());
    argv.addAll(
        List.of(
            "/bin/sh",
            "-c",
            WRAPPER,
            "sh",
            request.workdir(),
            Long.toString(reaperSeconds(request.timeoutMs())),
            Integer.toString(request.stdin().length),
            Integer.toString(request.env().size())));
    for (Map.Entry<String, String> e : request.env().entrySet())
      argv.add(e.getKey() + "=" + e.getValue());
    argv.addAll(request.command());
    return argv;
  }

  /**
   * Whole seconds after which the in-container {@code timeout} kills: one more than the deadline,
   * rounded up.
   */
  static long reaperSeconds(long timeoutMs) {
    return (timeoutMs + 999) / 1000 + 1;
  }

  /**
   * The container an exec goes to: the default-container annotation when it names one, else the
   * first.
   */
  static String containerOf(Pod pod) {
    List<Container> containers =
        pod.getSpec() == null || pod.getSpec().getContainers() == null
            ? List.of()
            : pod.getSpec().getContainers();
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    String named =
        annotations == null ? null : annotations.get(PodExecExecutor.DEFAULT_CONTAINER_ANNOTATION);
    if (named != null) {
      for (Container c : containers) {
        if (named.equals(c.getName())) return named;
      }
    }
    return containers.isEmpty() ? null : containers.get(0).getName();
  }
}
