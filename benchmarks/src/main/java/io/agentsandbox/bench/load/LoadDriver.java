package io.agentsandbox.bench.load;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The in-JVM load generator: Vert.x {@link WebClient}s on {@code generators} event loops of the
 * harness's own Vert.x instance, kept open and reused across runs. Open loop: a request's latency
 * runs from its intended send time, so a stalled server shows as latency, not as fewer requests (no
 * coordinated omission). Driven by one thread (the harness's main thread); the callbacks run on the
 * client's event loops.
 */
public final class LoadDriver implements AutoCloseable {

  /**
   * Where the load goes.
   *
   * @param target {@code claims} or {@code baseline}
   * @param claimApi true for the claim API (pools to wait for), false for the bare endpoint
   * @param pools pool names; request i claims from {@code pools[i % pools.size()]}
   */
  public record Endpoint(
      String target, String host, int port, List<String> pools, boolean claimApi) {}

  /** Client settings shared by every run. */
  public record Settings(
      int tenants,
      int connections,
      int generators,
      long holdMs,
      long waitMs,
      long requestTimeoutMs,
      long maxInFlight,
      PrintStream progress) {}

  private final Settings settings;
  private final Vertx vertx;
  private final ContextInternal[] loops;
  private final Map<Endpoint, WebClient> clients = new HashMap<>();
  private final String[] tenants;

  public LoadDriver(Settings settings) {
    this.settings = settings;
    this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(settings.generators()));
    this.loops = new ContextInternal[settings.generators()];
    for (int g = 0; g < loops.length; g++)
      loops[g] = ((VertxInternal) vertx).createEventLoopContext();
    this.tenants = new String[settings.tenants()];
    for (int t = 0; t < tenants.length; t++) tenants[t] = "load-" + t;
  }

  private WebClient client(Endpoint e) {
    return clients.computeIfAbsent(
        e,
        k ->
            WebClient.create(
                vertx,
                new WebClientOptions().setKeepAlive(true).setTcpNoDelay(true),
                new PoolOptions().setHttp1MaxSize(settings.connections())));
  }

  /** Runs {@code generator} on each client loop, with the loop's index (0..generators-1). */
  private void onEachLoop(java.util.function.IntConsumer generator) {
    for (int g = 0; g < loops.length; g++) {
      int index = g;
      loops[g].runOnContext(v -> generator.accept(index));
    }
  }

  // ---------------------------------------------------------------- rate (open loop)

  /**
   * Sends {@code rate} claims per second for {@code duration} (at most {@code maxCount}), each
   * released after the hold; waits (bounded) for every answer and release.
   */
  public RunResult runRate(
      Endpoint e, String label, double rate, Duration duration, long maxCount) {
    long limit = Math.min(maxCount, (long) Math.ceil(rate * duration.toNanos() / 1e9));
    long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
    LoadRun run = new LoadRun(e, client(e), vertx, settings, tenants, t0, false);
    double nsPerClaim = 1e9 / rate;
    CountDownLatch generated = new CountDownLatch(loops.length);
    onEachLoop(
        g -> {
          long[] next = {g};
          vertx.setPeriodic(
              1,
              id -> {
                long now = System.nanoTime();
                if (now - t0 < 0) return;
                long due = Math.min(limit, (long) ((now - t0) / nsPerClaim) + 1);
                while (next[0] < due) {
                  run.send(next[0], t0 + (long) (next[0] * nsPerClaim));
                  next[0] += loops.length;
                }
                if (next[0] >= limit) {
                  vertx.cancelTimer(id);
                  generated.countDown();
                }
              });
        });
    long sendDeadline = t0 + duration.toNanos() + TimeUnit.SECONDS.toNanos(5);
    awaitEnd(run, generated, sendDeadline, 1_000, e.target() + " " + label);
    long sendWindow = Math.max(0, Math.min(System.nanoTime(), t0 + duration.toNanos()) - t0);
    return finish(run, label, rate, t0, sendWindow, -1);
  }

  // ---------------------------------------------------------------- burst

  /** Sends {@code count} claims at once; waits (bounded) for all; then releases them and waits. */
  public RunResult runBurst(Endpoint e, String label, int count, Duration timeout) {
    long t0 = System.nanoTime();
    LoadRun run = new LoadRun(e, client(e), vertx, settings, tenants, t0, true);
    CountDownLatch generated = new CountDownLatch(loops.length);
    onEachLoop(
        g -> {
          for (long i = g; i < count; i += loops.length) run.send(i, t0);
          generated.countDown();
        });
    awaitEnd(run, generated, t0 + timeout.toNanos(), 50, e.target() + " " + label);
    long lastOk = run.log.lastOkNs();
    RunResult result = finish(run, label, 0, t0, 0, lastOk == Long.MIN_VALUE ? -1 : lastOk - t0);
    // Release everything the burst bound (not measured).
    String[] held;
    while ((held = run.heldForLater.poll()) != null) {
      String[] h = held;
      loops[0].runOnContext(v -> run.release(h[0], h[1], 0));
    }
    awaitQuiet(run, System.nanoTime() + timeout.toNanos());
    return result;
  }

  // ---------------------------------------------------------------- waiting and reporting

  /**
   * Main thread: until sending is done and nothing is in flight, or the deadline; samples
   * intervals.
   */
  private void awaitEnd(
      LoadRun run, CountDownLatch generated, long deadlineNs, long intervalMs, String what) {
    long intervalNs = TimeUnit.MILLISECONDS.toNanos(intervalMs);
    long nextSample = run.log.startNs() + intervalNs;
    long nextPrint = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
    long answerDeadline = Long.MAX_VALUE;
    while (true) {
      long now = System.nanoTime();
      if (now - nextSample >= 0) {
        run.log.sample(now);
        nextSample += intervalNs;
        if (now - nextPrint >= 0) {
          RunProgress.print(settings.progress(), run, what, now);
          nextPrint = now + TimeUnit.SECONDS.toNanos(1);
        }
      }
      boolean sent = generated.getCount() == 0;
      if (sent && answerDeadline == Long.MAX_VALUE)
        answerDeadline = now + TimeUnit.MILLISECONDS.toNanos(settings.requestTimeoutMs() + 2_000);
      if (sent && run.inFlight.get() == 0) break;
      if (now - deadlineNs > 0 || now - answerDeadline > 0) {
        long missing = run.inFlight.get();
        if (!sent) run.log.error("not sent before the time bound", now);
        for (long k = 0; k < missing; k++) run.log.error("unanswered at the time bound", now);
        break;
      }
      LockSupport.parkNanos(
          Math.min(TimeUnit.MILLISECONDS.toNanos(1), Math.max(1_000, nextSample - now)));
    }
    run.log.sample(System.nanoTime());
    RunProgress.print(settings.progress(), run, what, System.nanoTime());
    if (settings.progress() != null) settings.progress().println();
    awaitQuiet(
        run,
        System.nanoTime()
            + TimeUnit.MILLISECONDS.toNanos(
                settings.requestTimeoutMs() + settings.holdMs() + 2_000));
  }

  /** Main thread: waits (bounded) for outstanding releases. */
  private static void awaitQuiet(LoadRun run, long deadlineNs) {
    while (run.releasesInFlight.get() > 0 && System.nanoTime() - deadlineNs < 0) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }

  private RunResult finish(
      LoadRun run, String label, double rate, long t0, long sendWindowNs, long timeToAllOkNs) {
    long last = run.log.lastAnswerNs();
    long duration = last == Long.MIN_VALUE ? 0 : last - t0;
    return new RunResult(
        run.endpoint.target(),
        label,
        rate,
        run.attempted.get(),
        run.log.okCount(),
        run.log.errors(),
        run.log.releaseErrorCount(),
        duration,
        sendWindowNs,
        timeToAllOkNs,
        run.log.total(),
        run.log.intervals());
  }

  // ---------------------------------------------------------------- pools

  /**
   * Ready sandboxes of each pool of a claim API endpoint; throws naming a pool that does not exist.
   */
  public Map<String, Integer> readyByPool(Endpoint e) throws Exception {
    Map<String, Integer> out = new HashMap<>();
    for (String pool : e.pools()) {
      HttpResponse<Buffer> r =
          await(
              client(e)
                  .get(e.port(), e.host(), "/v1/pools/default/" + pool)
                  .timeout(10_000)
                  .send());
      if (r.statusCode() == 404)
        throw new IllegalArgumentException(
            "the target has no pool default/" + pool + " (see GET /v1/pools)");
      if (r.statusCode() != 200)
        throw new IllegalStateException(
            "GET /v1/pools/default/" + pool + " answered " + r.statusCode());
      out.put(pool, r.bodyAsJsonObject().getInteger("ready", 0));
    }
    return out;
  }

  /** Waits (bounded) until each pool has at least {@code ready} ready sandboxes. */
  public boolean awaitReady(Endpoint e, int ready, Duration timeout) throws Exception {
    if (!e.claimApi()) return true;
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      boolean all = true;
      for (int v : readyByPool(e).values()) all &= v >= ready;
      if (all) return true;
      if (System.nanoTime() - deadline > 0) return false;
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    List<Future<Void>> closing = new ArrayList<>();
    for (WebClient c : clients.values()) c.close();
    closing.add(vertx.close());
    for (Future<Void> f : closing) await(f);
  }
}
