package io.agentsandbox.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** JSON of the claim API to the client's types, and error answers to exceptions. Stateless. */
final class Wire {
  private Wire() {}

  /** The typed exception of an error answer. */
  static AgentSandboxException error(int status, HttpHeaders headers, byte[] body, Clock clock) {
    String code = "http_" + status;
    String field = null;
    String message;
    JsonNode error = null;
    try {
      error = AgentSandboxClient.JSON.readTree(body).get("error");
    } catch (IOException | RuntimeException e) {
      // not JSON (a proxy's page): the text is the message
    }
    if (error != null && error.isObject()) {
      code = error.path("code").asText(code);
      field = error.hasNonNull("field") ? error.get("field").asText() : null;
      message = error.path("message").asText("");
    } else {
      String text = new String(body, StandardCharsets.UTF_8).strip();
      message = text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }
    Duration retryAfter =
        AgentSandboxClient.parseRetryAfter(headers.firstValue("Retry-After").orElse(null), clock);
    return error(status, code, field, message, retryAfter);
  }

  /** The exception class of a status (and, for 409, of the code). */
  static AgentSandboxException error(
      int status, String code, String field, String message, Duration retryAfter) {
    return switch (status) {
      case 400, 413, 415, 422 -> new BadRequestException(status, code, field, message, retryAfter);
      case 401, 403 -> new UnauthorizedException(status, code, field, message, retryAfter);
      case 404 -> new NotFoundException(status, code, field, message, retryAfter);
      case 409 ->
          "sandbox_gone".equals(code)
              ? new SandboxGoneException(status, code, field, message, retryAfter)
              : new ConflictException(status, code, field, message, retryAfter);
      case 410 -> new GoneException(status, code, field, message, retryAfter);
      case 429 -> new QuotaExceededException(status, code, field, message, retryAfter);
      case 503 -> new OverloadedException(status, code, field, message, retryAfter);
      case 504 -> new WaitTimeoutException(status, code, field, message, retryAfter);
      default ->
          status >= 500
              ? new ServerErrorException(status, code, field, message, retryAfter)
              : new AgentSandboxException(status, code, field, message, retryAfter);
    };
  }

  static ClaimInfo claim(JsonNode c) {
    JsonNode s = c.get("sandbox");
    SandboxInfo sandbox = null;
    if (s != null && s.isObject()) {
      List<String> ips = new ArrayList<>();
      for (JsonNode ip : s.path("podIPs")) ips.add(ip.asText());
      sandbox =
          new SandboxInfo(
              s.path("name").asText(null),
              s.path("namespace").asText(null),
              List.copyOf(ips),
              s.path("runtimeClassName").asText(null),
              s.path("backend").asText(null),
              s.path("simulated").asBoolean(false));
    }
    Instant expires = null;
    if (c.hasNonNull("expiresAt")) {
      try {
        expires = Instant.parse(c.get("expiresAt").asText());
      } catch (DateTimeParseException e) {
        expires = null;
      }
    }
    return new ClaimInfo(
        c.path("claimId").asText(null),
        c.path("status").asText(null),
        c.path("pool").path("namespace").asText(null),
        c.path("pool").path("name").asText(null),
        c.path("tenant").asText(null),
        c.path("priority").asInt(0),
        c.path("onEmpty").asText(null),
        c.path("waitMs").asLong(0),
        c.path("ttlSeconds").asLong(0),
        c.path("launchType").asText(null),
        c.has("waitedMs") ? c.get("waitedMs").asDouble() : Double.NaN,
        expires,
        sandbox);
  }

  static PoolInfo pool(JsonNode p) {
    boolean available = true;
    for (JsonNode condition : p.path("conditions")) {
      if ("Ready".equals(condition.path("type").asText())
          && "False".equals(condition.path("status").asText())) available = false;
    }
    return new PoolInfo(
        p.path("namespace").asText(null),
        p.path("name").asText(null),
        p.path("template").asText(null),
        p.path("runtimeClassName").asText(null),
        p.path("backend").asText(null),
        p.path("simulated").asBoolean(false),
        p.path("replicas").asInt(0),
        p.path("ready").asInt(0),
        p.path("starting").asInt(0),
        p.path("claimed").asInt(0),
        p.path("pending").asInt(0),
        p.path("warmHitRatio").asDouble(0),
        available);
  }

  static ExecResult execResult(JsonNode r) {
    return new ExecResult(
        r.path("exitCode").asInt(-1),
        r.path("stdout").asText(""),
        r.path("stderr").asText(""),
        r.path("stdoutTruncated").asBoolean(false),
        r.path("stderrTruncated").asBoolean(false),
        r.path("timedOut").asBoolean(false),
        r.path("durationMs").asDouble(0));
  }
}
