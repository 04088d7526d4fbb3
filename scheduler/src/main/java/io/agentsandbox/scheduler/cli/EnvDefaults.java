package io.agentsandbox.scheduler.cli;

import java.util.Locale;
import java.util.function.UnaryOperator;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Every option {@code --foo-bar} can be set by the environment variable {@code
 * AGENT_SANDBOX_FOO_BAR}; the flag wins over the variable, the variable over the default in the
 * option. Stateless.
 */
public final class EnvDefaults implements IDefaultValueProvider {

  /** The prefix of every variable. */
  public static final String PREFIX = "AGENT_SANDBOX_";

  private final UnaryOperator<String> env;

  public EnvDefaults() {
    this(System::getenv);
  }

  /** Reads variables from {@code env} instead of the process environment (tests). */
  public EnvDefaults(UnaryOperator<String> env) {
    this.env = env;
  }

  /** The variable of an option, e.g. {@code --pools-dir} → {@code AGENT_SANDBOX_POOLS_DIR}. */
  public static String variableOf(String longName) {
    return PREFIX + longName.replaceFirst("^-+", "").replace('-', '_').toUpperCase(Locale.ROOT);
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()) {
      return null;
    }
    return env.apply(variableOf(option.longestName()));
  }
}
