package io.agentsandbox.scheduler;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A server that cannot start says why, and does not hang. */
class StartFailureTest {

  @Test
  void shouldFailNamingThePortWhenItIsTaken(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("pools.yaml"),
        TestPools.template("p", null) + TestPools.pool("p", "p", 2, null));
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      var start =
          SchedulerServer.start(
              Main.parseConfig(
                  "--host",
                  "127.0.0.1",
                  "--port",
                  Integer.toString(taken.getLocalPort()),
                  "--backend",
                  "simulated",
                  "--pools-dir",
                  dir.toString()));

      // Before the fix this future never completed: the close ran on the loop it stopped.
      assertThatThrownBy(
              () -> start.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .hasMessageContaining("cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
  }
}
