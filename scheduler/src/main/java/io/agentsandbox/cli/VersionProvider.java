package io.agentsandbox.cli;

import picocli.CommandLine;

/** The version of the jar. */
final class VersionProvider implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = AgentSandboxCli.class.getPackage().getImplementationVersion();
    return new String[] {"agent-sandbox " + (v == null ? "(development build)" : v)};
  }
}
