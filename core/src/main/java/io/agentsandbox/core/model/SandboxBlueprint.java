package io.agentsandbox.core.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a backend needs to start one sandbox of a template: the runtime class and the first
 * container's image, command, arguments, environment and resource limits. Immutable.
 *
 * @param templateName the {@code SandboxTemplate} it came from
 * @param runtimeClass the pod's {@code runtimeClassName}
 * @param image the container image (a backend that cannot pull images may ignore it)
 * @param command the container's command, empty for the image default
 * @param args the container's arguments
 * @param env the container's environment, in declaration order
 * @param cpuMillis CPU limit in millicores, 0 when unset
 * @param memoryBytes memory limit in bytes, 0 when unset
 */
public record SandboxBlueprint(
    String templateName,
    RuntimeClass runtimeClass,
    String image,
    List<String> command,
    List<String> args,
    Map<String, String> env,
    long cpuMillis,
    long memoryBytes) {

  public SandboxBlueprint {
    Objects.requireNonNull(templateName, "templateName");
    Objects.requireNonNull(runtimeClass, "runtimeClass");
    image = image == null ? "" : image;
    command = List.copyOf(command == null ? List.of() : command);
    args = List.copyOf(args == null ? List.of() : args);
    env = env == null ? Map.of() : Map.copyOf(env);
    if (cpuMillis < 0) throw new IllegalArgumentException("cpuMillis must be >= 0: " + cpuMillis);
    if (memoryBytes < 0)
      throw new IllegalArgumentException("memoryBytes must be >= 0: " + memoryBytes);
  }
}
