package io.agentsandbox.scheduler.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
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
    Fields f = parseFields(body);
    if (f.unknown != null) {
      throw new BadRequestException(
          f.unknown,
          "unknown field; allowed: " + String.join(", ", new java.util.TreeSet<>(CLAIM_FIELDS)));
    }
    String namespace = optString(f.namespace, "namespace");
    if (namespace == null) namespace = "default";
    else if (!DNS_LABEL.matcher(namespace).matches())
      throw new BadRequestException(
          "namespace", "must be a DNS label (a-z, 0-9, '-', at most 63 characters)");
    PoolKey pool = poolOf(f, namespace);
    String tenant = tenant(optString(f.tenant, "tenant"), headerTenant);
    int priority =
        (int)
            optLong(
                f.priority, "priority", 0, ClaimRequest.MIN_PRIORITY, ClaimRequest.MAX_PRIORITY);
    long waitMs = optLong(f.waitMs, "waitMs", config.defaultWaitMs(), 0, config.maxWaitMs());
    long ttlSeconds =
        optLong(f.ttlSeconds, "ttlSeconds", config.defaultTtlSeconds(), 0, config.maxTtlSeconds());
    OnEmpty onEmpty = OnEmpty.WAIT;
    String onEmptyText = optString(f.onEmpty, "onEmpty");
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

  /**
   * A claim body's fields as the streaming parser met them: each value as {@link JsonObject} would
   * hold it (String, Integer/Long/BigInteger, Double, Boolean; a nested object or array as an empty
   * {@link #OBJECT}/{@link #ARRAY} marker, its content checked but not kept); null when absent or
   * JSON null. The last of duplicate keys wins, as in a {@link JsonObject}.
   */
  private static final class Fields {
    Object pool,
        namespace,
        template,
        runtimeClassName,
        waitMs,
        onEmpty,
        tenant,
        priority,
        ttlSeconds;
    boolean hasNamespace;
    String unknown; // the first field that is not a claim field
  }

  private static final JsonObject OBJECT = new JsonObject();
  private static final JsonArray ARRAY = new JsonArray();
  private static final JsonFactory JSON = JsonFactory.builder().build();

  /** One pass of Jackson's streaming parser over the body: no tree. */
  private static Fields parseFields(Buffer body) {
    if (body == null || body.length() == 0)
      throw new BadRequestException("body", "required: a JSON object");
    Fields f = new Fields();
    try (JsonParser p = JSON.createParser(body.getBytes())) {
      JsonToken first = p.nextToken();
      if (first != JsonToken.START_OBJECT) {
        skipValue(p, first);
        if (p.nextToken() != null)
          throw new BadRequestException("body", "not valid JSON: trailing content");
        throw new BadRequestException("body", "must be a JSON object");
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        Object v = value(p, p.nextToken());
        switch (name) {
          case "pool" -> f.pool = v;
          case "namespace" -> {
            f.namespace = v;
            f.hasNamespace = true;
          }
          case "template" -> f.template = v;
          case "runtimeClassName" -> f.runtimeClassName = v;
          case "waitMs" -> f.waitMs = v;
          case "onEmpty" -> f.onEmpty = v;
          case "tenant" -> f.tenant = v;
          case "priority" -> f.priority = v;
          case "ttlSeconds" -> f.ttlSeconds = v;
          default -> {
            if (f.unknown == null) f.unknown = name;
          }
        }
      }
      if (t != JsonToken.END_OBJECT || p.nextToken() != null)
        throw new BadRequestException("body", "not valid JSON: trailing content");
    } catch (JsonProcessingException e) {
      throw new BadRequestException("body", "not valid JSON: " + firstLine(e.getOriginalMessage()));
    } catch (java.io.IOException e) {
      throw new BadRequestException("body", "not valid JSON");
    }
    return f;
  }

  private static Object value(JsonParser p, JsonToken t) throws java.io.IOException {
    if (t == null) throw new BadRequestException("body", "not valid JSON: unexpected end of input");
    return switch (t) {
      case VALUE_STRING -> p.getText();
      case VALUE_NUMBER_INT -> p.getNumberValue();
      case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> null;
      case START_OBJECT -> {
        p.skipChildren();
        yield OBJECT;
      }
      case START_ARRAY -> {
        p.skipChildren();
        yield ARRAY;
      }
      default -> throw new BadRequestException("body", "not valid JSON: unexpected " + t);
    };
  }

  private static void skipValue(JsonParser p, JsonToken t) throws java.io.IOException {
    value(p, t);
  }

  private PoolKey poolOf(Fields f, String namespace) {
    String pool = optString(f.pool, "pool");
    String template = optString(f.template, "template");
    String runtime = optString(f.runtimeClassName, "runtimeClassName");
    if (pool != null) {
      if (template != null)
        throw new BadRequestException("template", "give either pool or template, not both");
      int slash = pool.indexOf('/');
      if (slash >= 0) {
        if (f.hasNamespace)
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

  private static String firstLine(String s) {
    if (s == null) return "";
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) : line;
  }

  private static String optString(Object v, String field) {
    if (v == null) return null;
    if (!(v instanceof String s)) throw new BadRequestException(field, "must be a string");
    if (s.isEmpty()) throw new BadRequestException(field, "must not be empty");
    if (s.length() > 253) throw new BadRequestException(field, "is longer than 253 characters");
    return s;
  }

  private static long optLong(Object v, String field, long dflt, long min, long max) {
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

  /**
   * The {@code 201} of a bound claim with its token, written by Jackson's generator straight into a
   * buffer: the same fields, in the same order, as {@link #encodeBound} plus {@code token}, no
   * tree.
   */
  public Buffer encodeBoundBody(ClaimRequest r, ClaimOutcome.Assigned a, long nowNs, String token) {
    Buffer out = Buffer.buffer(512);
    try (JsonGenerator g = JSON.createGenerator(new BufferOutput(out))) {
      g.writeStartObject();
      g.writeStringField("claimId", r.claimId());
      g.writeStringField("status", "Bound");
      g.writeObjectFieldStart("pool");
      g.writeStringField("namespace", r.pool().namespace());
      g.writeStringField("name", r.pool().name());
      g.writeEndObject();
      g.writeStringField("tenant", r.tenant());
      g.writeNumberField("priority", r.priority());
      g.writeStringField("onEmpty", r.onEmpty().wireName());
      g.writeNumberField("waitMs", TimeUnit.NANOSECONDS.toMillis(r.waitNs()));
      g.writeNumberField("ttlSeconds", TimeUnit.NANOSECONDS.toSeconds(r.ttlNs()));
      SandboxRef s = a.sandbox();
      g.writeObjectFieldStart("sandbox");
      g.writeStringField("name", s.name());
      g.writeStringField("namespace", s.pool().namespace());
      g.writeArrayFieldStart("podIPs");
      for (String ip : s.addresses()) g.writeString(ip);
      g.writeEndArray();
      g.writeStringField("runtimeClassName", s.runtimeClass().displayName());
      g.writeStringField("backend", s.backend());
      if ("simulated".equals(s.backend())) g.writeBooleanField("simulated", true);
      g.writeEndObject();
      g.writeStringField("launchType", a.launchType().wireName());
      g.writeNumberField("waitedMs", a.waitedNs() / 1_000_000.0);
      if (a.expiresAtNs() != 0) {
        g.writeStringField(
            "expiresAt", Instant.now().plusNanos(a.expiresAtNs() - nowNs).toString());
      }
      g.writeStringField("token", token);
      g.writeEndObject();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e); // writes to memory: not expected
    }
    return out;
  }

  /** The generator's output, appended to a buffer. */
  private static final class BufferOutput extends java.io.OutputStream {
    private final Buffer out;

    BufferOutput(Buffer out) {
      this.out = out;
    }

    @Override
    public void write(int b) {
      out.appendByte((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      out.appendBytes(b, off, len);
    }
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
    if (view.isLost()) return encodeFailed(view, nowNs);
    return view.isBound()
        ? encodeBound(view.request(), view.assignment(), nowNs)
        : encodePending(view.request());
  }

  /** A claim whose sandbox died: what it was bound to, why and when it ended. */
  private JsonObject encodeFailed(ClaimView view, long nowNs) {
    JsonObject out = encodeBound(view.request(), view.assignment(), nowNs);
    out.remove("expiresAt");
    String reason = view.lost().reason();
    int colon = reason.indexOf(':');
    return out.put("status", "Failed")
        .put("reason", colon > 0 ? reason.substring(0, colon) : "Died")
        .put("message", reason)
        .put("failedAt", Instant.now().minusNanos(nowNs - view.lost().atNs()).toString());
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
