package io.agentsandbox.scheduler;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** YAML builders and bounded waits for server-level tests. */
public final class TestPools {
  private TestPools() {}

  /** A SandboxTemplate; {@code runtimeClass} null for the default runtime. */
  public static String template(String name, String runtimeClass) {
    return "apiVersion: extensions.agents.x-k8s.io/v1beta1\nkind: SandboxTemplate\nmetadata:\n  name: "
        + name
        + "\nspec:\n  podTemplate:\n    spec:\n"
        + (runtimeClass == null ? "" : "      runtimeClassName: " + runtimeClass + "\n")
        + "      containers:\n      - name: main\n        image: busybox\n---\n";
  }

  /** A SandboxWarmPool; {@code maxClaimsPerTenant} null for the server default. */
  public static String pool(
      String name, String template, int replicas, Integer maxClaimsPerTenant) {
    return "apiVersion: extensions.agents.x-k8s.io/v1beta1\nkind: SandboxWarmPool\nmetadata:\n  name: "
        + name
        + "\n"
        + (maxClaimsPerTenant == null
            ? ""
            : "  annotations:\n    agentsandbox.io/max-claims-per-tenant: \""
                + maxClaimsPerTenant
                + "\"\n")
        + "spec:\n  replicas: "
        + replicas
        + "\n  sandboxTemplateRef:\n    name: "
        + template
        + "\n---\n";
  }

  /** Waits (bounded, 30 s) for a future; rethrows its failure. */
  public static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Polls a condition every millisecond for at most {@code seconds}; fails when it never holds. */
  public static void awaitCondition(BooleanSupplier condition, int seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0)
        throw new AssertionError("condition not met within " + seconds + " s");
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
  }

  /** Waits (bounded, 30 s) until each pool in namespace default reports {@code ready} sandboxes. */
  public static void awaitReady(WebClient web, String[] pools, int ready) throws Exception {
    for (String pool : pools) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (true) {
        JsonObject p = await(web.get("/v1/pools/default/" + pool).send()).bodyAsJsonObject();
        if (p.getInteger("ready", -1) >= ready) break;
        if (System.nanoTime() - deadline > 0)
          throw new AssertionError("pool " + pool + " not ready: " + p);
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      }
    }
  }
}
