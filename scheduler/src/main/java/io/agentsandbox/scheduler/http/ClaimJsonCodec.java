package io.agentsandbox.scheduler.http;

import io.agentsandbox.core.model.ClaimOutcome;
import io.agentsandbox.core.model.ClaimRequest;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.PoolSpec;
import io.agentsandbox.core.model.RuntimeClass;
import io.agentsandbox.core.model.SandboxRef;
import io.agentsandbox.scheduler.SchedulerConfig;
import io.agentsandbox.scheduler.pools.PoolCatalog;
import io.agentsandbox.scheduler.shard.PoolSnapshot;
import io.agentsandbox.warmpool.ClaimView;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * JSON of the claim API: decodes and validates a claim request (every error names its field),
 * encodes claims and pools. Stateless and immutable; any thread.
 */
public final class ClaimJsonCodec {

  /** Fields a claim request may carry. */
  static final Set<String> CLAIM_FIELDS =
      Set.of(
          "pool",
          "namespace",
          "template",
          "runtimeClassName",
          "waitMs",
          "onEmpty",
          "tenant",
          "priority",
          "ttlSeconds");

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}");

  private final SchedulerConfig config;
  private final PoolCatalog catalog;

  public ClaimJsonCodec(SchedulerConfig config, PoolCatalog catalog) {
    this.config = config;
    this.catalog = catalog;
  }

  /**
   * Decodes a {@code POST /v1/claims} body.
   *
   * @param headerTenant the {@code X-Tenant} header, or null
   * @throws BadRequestException naming the field at fault
   */
  public ClaimRequest decodeClaim(Buffer body, String headerTenant, String claimId, long nowNs) {
    JsonObject json = parseObject(body);
    for (String key : json.fieldNames()) {
      if (!CLAIM_FIELDS.contains(key)) {
        throw new BadRequestException(
            key,
            "unknown field; allowed: " + String.join(", ", new java.util.TreeSet<>(CLAIM_FIELDS)));
      }
    }
    String namespace = optString(json, "namespace");
    if (namespace == null) namespace = "default";
    else if (!DNS_LABEL.matcher(namespace).matches())
      throw new BadRequestException(
          "namespace", "must be a DNS label (a-z, 0-9, '-', at most 63 characters)");
    PoolKey pool = poolOf(json, namespace);
    String tenant = tenant(optString(json, "tenant"), headerTenant);
    int priority =
        (int) optLong(json, "priority", 0, ClaimRequest.MIN_PRIORITY, ClaimRequest.MAX_PRIORITY);
    long waitMs = optLong(json, "waitMs", config.defaultWaitMs(), 0, config.maxWaitMs());
    long ttlSeconds =
        optLong(json, "ttlSeconds", config.defaultTtlSeconds(), 0, config.maxTtlSeconds());
    OnEmpty onEmpty = OnEmpty.WAIT;
    String onEmptyText = optString(json, "onEmpty");
    if (onEmptyText != null) {
      onEmpty = OnEmpty.fromWireName(onEmptyText);
      if (onEmpty == null)
        throw new BadRequestException("onEmpty", "must be one of wait, cold, reject");
    }
    return new ClaimRequest(
        claimId,
        pool,
        tenant,
        priority,
        onEmpty,
        TimeUnit.MILLISECONDS.toNanos(waitMs),
        TimeUnit.SECONDS.toNanos(ttlSeconds),
        nowNs);
  }

  private PoolKey poolOf(JsonObject json, String namespace) {
    String pool = optString(json, "pool");
    String template = optString(json, "template");
    String runtime = optString(json, "runtimeClassName");
    if (pool != null) {
      if (template != null)
        throw new BadRequestException("template", "give either pool or template, not both");
      int slash = pool.indexOf('/');
      if (slash >= 0) {
        if (json.containsKey("namespace"))
          throw new BadRequestException(
              "pool", "has a namespace/ prefix and a namespace field; give one");
        namespace = pool.substring(0, slash);
        pool = pool.substring(slash + 1);
        if (!DNS_LABEL.matcher(namespace).matches())
          throw new BadRequestException("pool", "namespace part must be a DNS label");
      }
      if (pool.length() > 253 || !DNS_SUBDOMAIN.matcher(pool).matches()) {
        throw new BadRequestException(
            "pool", "must be a pool name (a DNS subdomain: a-z, 0-9, '-', '.')");
      }
      if (runtime != null) {
        PoolSpec spec = catalog.get(new PoolKey(namespace, pool));
        if (spec != null && !spec.runtimeClass().equals(runtimeClass(runtime))) {
          throw new BadRequestException(
              "runtimeClassName",
              "pool "
                  + namespace
                  + "/"
                  + pool
                  + " runs "
                  + spec.runtimeClass().displayName()
                  + ", not "
                  + runtime);
        }
      }
      return new PoolKey(namespace, pool);
    }
    if (template == null)
      throw new BadRequestException(
          "pool", "required (or template, with optional runtimeClassName)");
    if (!DNS_SUBDOMAIN.matcher(template).matches())
      throw new BadRequestException("template", "must be a template name (a DNS subdomain)");
    PoolSpec spec =
        catalog.findByTemplate(namespace, template, runtime == null ? null : runtimeClass(runtime));
    if (spec == null) {
      throw new NotFoundException(
          "template",
          "no warm pool serves template "
              + namespace
              + "/"
              + template
              + (runtime == null ? "" : " with runtime class " + runtime));
    }
    return spec.key();
  }

  /** A runtime class as clients write it; {@code default} (as responses show it) means unset. */
  private static RuntimeClass runtimeClass(String name) {
    return name.equals("default") ? RuntimeClass.DEFAULT : RuntimeClass.of(name);
  }

  /**
   * The tenant of a request: the {@code X-Tenant} header, else the body's field, else {@code
   * default}.
   */
  static String tenant(String bodyTenant, String headerTenant) {
    if (headerTenant != null && !TENANT.matcher(headerTenant).matches()) {
      throw new BadRequestException(
          "X-Tenant", "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -");
    }
    if (bodyTenant != null && !TENANT.matcher(bodyTenant).matches()) {
      throw new BadRequestException("tenant", "must be 1-128 characters of A-Z a-z 0-9 . _ : @ -");
    }
    if (headerTenant != null && bodyTenant != null && !headerTenant.equals(bodyTenant)) {
      throw new BadRequestException.TenantMismatch("differs from the X-Tenant header");
    }
    return headerTenant != null ? headerTenant : bodyTenant != null ? bodyTenant : "default";
  }

  private static JsonObject parseObject(Buffer body) {
    if (body == null || body.length() == 0)
      throw new BadRequestException("body", "required: a JSON object");
    Object value;
    try {
      value = body.toJsonValue();
    } catch (DecodeException e) {
      throw new BadRequestException("body", "not valid JSON: " + firstLine(e.getMessage()));
    } catch (RuntimeException e) {
      throw new BadRequestException("body", "not valid JSON");
    }
    if (!(value instanceof JsonObject o))
      throw new BadRequestException("body", "must be a JSON object");
    return o;
  }

  private static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) : line;
  }

  private static String optString(JsonObject json, String field) {
    Object v = json.getValue(field);
    if (v == null) return null;
    if (!(v instanceof String s)) throw new BadRequestException(field, "must be a string");
    if (s.isEmpty()) throw new BadRequestException(field, "must not be empty");
    if (s.length() > 253) throw new BadRequestException(field, "is longer than 253 characters");
    return s;
  }

  private static long optLong(JsonObject json, String field, long dflt, long min, long max) {
    Object v = json.getValue(field);
    if (v == null) return dflt;
    if (!(v instanceof Integer || v instanceof Long)) {
      if (v instanceof Number)
        throw new BadRequestException(field, "must be an integer between " + min + " and " + max);
      throw new BadRequestException(field, "must be an integer, not " + typeName(v));
    }
    long n = ((Number) v).longValue();
    if (n < min || n > max)
      throw new BadRequestException(field, "must be between " + min + " and " + max + ", got " + n);
    return n;
  }

  private static String typeName(Object v) {
    if (v instanceof String) return "a string";
    if (v instanceof Boolean) return "a boolean";
    if (v instanceof JsonObject) return "an object";
    if (v instanceof JsonArray) return "an array";
    return "a " + v.getClass().getSimpleName();
  }

  // ---------------------------------------------------------------- encoding

  /** A bound claim, as {@code 201} and {@code GET /v1/claims/{id}} return it. */
  public JsonObject encodeBound(ClaimRequest request, ClaimOutcome.Assigned a, long nowNs) {
    SandboxRef s = a.sandbox();
    JsonObject sandbox =
        new JsonObject()
            .put("name", s.name())
            .put("namespace", s.pool().namespace())
            .put("podIPs", new JsonArray(s.addresses()))
            .put("runtimeClassName", s.runtimeClass().displayName())
            .put("backend", s.backend());
    if ("simulated".equals(s.backend())) sandbox.put("simulated", true);
    JsonObject out =
        base(request, "Bound")
            .put("sandbox", sandbox)
            .put("launchType", a.launchType().wireName())
            .put("waitedMs", a.waitedNs() / 1_000_000.0);
    if (a.expiresAtNs() != 0) {
      out.put("expiresAt", Instant.now().plusNanos(a.expiresAtNs() - nowNs).toString());
    }
    return out;
  }

  /** A claim still waiting. */
  JsonObject encodePending(ClaimRequest request) {
    return base(request, "Pending");
  }

  private static JsonObject base(ClaimRequest r, String status) {
    return new JsonObject()
        .put("claimId", r.claimId())
        .put("status", status)
        .put(
            "pool",
            new JsonObject().put("namespace", r.pool().namespace()).put("name", r.pool().name()))
        .put("tenant", r.tenant())
        .put("priority", r.priority())
        .put("onEmpty", r.onEmpty().wireName())
        .put("waitMs", TimeUnit.NANOSECONDS.toMillis(r.waitNs()))
        .put("ttlSeconds", TimeUnit.NANOSECONDS.toSeconds(r.ttlNs()));
  }

  JsonObject encodeView(ClaimView view, long nowNs) {
    return view.isBound()
        ? encodeBound(view.request(), view.assignment(), nowNs)
        : encodePending(view.request());
  }

  static JsonObject encodePool(PoolSnapshot p) {
    PoolSpec spec = p.spec();
    JsonObject o =
        new JsonObject()
            .put("namespace", spec.key().namespace())
            .put("name", spec.key().name())
            .put("template", spec.blueprint().templateName())
            .put("runtimeClassName", spec.runtimeClass().displayName())
            .put("backend", p.backend())
            .put("simulated", p.simulated())
            .put("replicas", spec.replicas())
            .put("ready", p.ready())
            .put("starting", p.starting())
            .put("claimed", p.claimed())
            .put("desired", p.desired())
            .put("pending", p.pending())
            .put("deleting", p.deleting())
            .put("claimsWarm", p.warmAssigned())
            .put("claimsCold", p.coldAssigned())
            .put("warmHitRatio", p.warmHitRatio())
            .put("shard", p.shard())
            .put("shardQueueDepth", p.shardQueueDepth());
    JsonObject sizing =
        new JsonObject()
            .put("target", p.target())
            .put("reason", p.targetReason())
            .put("demandPerSecond", Math.round(p.demandPerSecond() * 1000) / 1000.0)
            .put("leadTimeP90Ms", p.leadTimeP90Ns() / 1_000_000.0);
    if (spec.autoscale() != null) {
      sizing.put(
          "autoscale",
          new JsonObject()
              .put("minReplicas", spec.autoscale().minReplicas())
              .put("maxReplicas", spec.autoscale().maxReplicas())
              .put("confidence", spec.autoscale().confidence()));
    }
    o.put("sizing", sizing);
    if (p.simulated()) o.put("note", "SIMULATED backend: these sandboxes are not real");
    return o;
  }
}
