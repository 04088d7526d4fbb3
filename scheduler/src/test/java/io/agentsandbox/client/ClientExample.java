package io.agentsandbox.client;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The README's Java client example, compiled with the tests and run by ClientLocalBackendIT. */
public final class ClientExample {
  private ClientExample() {}

  /** Claims a gVisor sandbox, runs Python in it, moves a file both ways, releases it. */
  public static String run(String url, String pool) {
    AgentSandboxClient client =
        AgentSandboxClient.builder()
            .baseUrl(url) // e.g. http://127.0.0.1:8080
            .token(System.getenv("AGENT_SANDBOX_TOKEN")) // null with --auth none
            .build();
    ClaimOptions options =
        ClaimOptions.defaults().withWait(Duration.ofSeconds(30)).withOnEmpty(OnEmpty.COLD);
    try (SandboxHandle sandbox = client.claim(pool, options)) { // released on close
      sandbox.writeFile("in.txt", "hello".getBytes(StandardCharsets.UTF_8));
      ExecResult r = sandbox.exec("python3", "-c", "print(open('in.txt').read().upper())");
      sandbox.execStream(
          ExecSpec.of("sh", "-c", "for i in 1 2 3; do echo $i; done > out.txt; cat out.txt"),
          chunk -> System.out.print(chunk.data())); // 1 2 3, as they come
      return r.stdout() + sandbox.readString("out.txt"); // "HELLO\n1\n2\n3\n"
    }
  }
}
