package io.agentsandbox.core.port;

/**
 * A monotonic clock in nanoseconds. Pure logic takes its time from here (or as a {@code nowNs}
 * argument) so tests can drive time with a manual clock instead of sleeping.
 */
@FunctionalInterface
public interface NanoClock {

  /** The system's monotonic clock. */
  NanoClock SYSTEM = System::nanoTime;

  /** Current time; only differences between two readings mean anything. Any thread. */
  long nanoTime();
}
