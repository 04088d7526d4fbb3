/**
 * The load harness: a picocli command ({@link io.agentsandbox.bench.load.LoadHarness}) whose modes
 * drive the claim API over HTTP from the same JVM and write a JSON and an HTML report.
 *
 * <p>A {@link io.agentsandbox.bench.load.Session} and its report are owned by the harness's main
 * thread. The {@link io.agentsandbox.bench.load.LoadDriver} is driven by that thread; the requests
 * of a {@link io.agentsandbox.bench.load.LoadRun} are sent and answered on the driver's client
 * event loops, which write its atomic counters and its {@link
 * io.agentsandbox.bench.load.LatencyLog} (synchronised); the main thread reads them.
 */
package io.agentsandbox.bench.load;
