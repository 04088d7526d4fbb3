package io.agentsandbox.client;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * A tiny scripted HTTP server (the JDK's): answers requests, in order, with queued answers, and
 * records each request's method, path, headers and body. For the client's retry and streaming
 * logic, where a real server cannot be made to answer exactly so.
 */
public final class StubServer implements AutoCloseable {

  public record Answer(int status, Map<String, String> headers, String body, boolean chunked) {}

  public record Seen(String method, String uri, String authorization, String body) {}

  private final HttpServer http;
  private final Deque<Answer> answers = new ArrayDeque<>();
  final List<Seen> seen = new ArrayList<>();

  public StubServer() throws IOException {
    http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    http.createContext(
        "/",
        exchange -> {
          Answer a;
          synchronized (this) {
            seen.add(
                new Seen(
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().getRawPath()
                        + (exchange.getRequestURI().getRawQuery() == null
                            ? ""
                            : "?" + exchange.getRequestURI().getRawQuery()),
                    exchange.getRequestHeaders().getFirst("Authorization"),
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            a =
                answers.isEmpty()
                    ? new Answer(500, Map.of(), "no answer queued", false)
                    : answers.poll();
          }
          a.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
          byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
          if (a.status() == 204) {
            exchange.sendResponseHeaders(204, -1);
          } else {
            exchange.sendResponseHeaders(a.status(), a.chunked() ? 0 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(body);
            }
          }
          exchange.close();
        });
    http.start();
  }

  public String url() {
    return "http://127.0.0.1:" + http.getAddress().getPort();
  }

  public synchronized StubServer answer(int status, Map<String, String> headers, String body) {
    answers.add(new Answer(status, headers, body, false));
    return this;
  }

  public synchronized StubServer json(int status, String body) {
    return answer(status, Map.of("content-type", "application/json"), body);
  }

  /** An error answer as the server writes them. */
  public synchronized StubServer error(int status, String code, String retryAfter) {
    String body =
        "{\"error\":{\"status\":"
            + status
            + ",\"code\":\""
            + code
            + "\",\"message\":\"m "
            + code
            + "\"}}";
    return retryAfter == null
        ? json(status, body)
        : answer(
            status, Map.of("content-type", "application/json", "Retry-After", retryAfter), body);
  }

  public synchronized StubServer ndjson(String... lines) {
    answers.add(
        new Answer(
            200,
            Map.of("content-type", "application/x-ndjson"),
            String.join("\n", lines) + "\n",
            true));
    return this;
  }

  public synchronized List<Seen> seen() {
    return List.copyOf(seen);
  }

  @Override
  public void close() {
    http.stop(0);
  }
}
