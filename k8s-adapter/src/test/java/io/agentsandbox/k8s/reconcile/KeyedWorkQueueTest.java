package io.agentsandbox.k8s.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KeyedWorkQueueTest {

  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final KeyedWorkQueue q = new KeyedWorkQueue(timer);

  @AfterEach
  void stop() {
    timer.shutdownNow();
  }

  @Test
  void shouldDeduplicateWaitingKeys() throws InterruptedException {
    q.add("a");
    q.add("a");
    q.add("b");
    assertThat(q.depth()).isEqualTo(2);
    assertThat(q.take()).isEqualTo("a");
    assertThat(q.take()).isEqualTo("b");
    assertThat(q.depth()).isZero();
  }

  @Test
  void shouldRequeueAKeyAddedWhileItIsProcessedOnlyWhenDone() throws InterruptedException {
    q.add("a");
    assertThat(q.take()).isEqualTo("a");
    q.add("a"); // an event during the pass
    assertThat(q.depth()).as("never handed to a second worker while in flight").isZero();
    q.done("a");
    assertThat(q.depth()).isEqualTo(1);
    assertThat(q.take()).isEqualTo("a");
    q.done("a");
    assertThat(q.depth()).isZero();
  }

  @Test
  void shouldReturnNullToWorkersAfterShutdown() throws InterruptedException {
    q.shutdown();
    assertThat(q.take()).isNull();
    q.add("x");
    assertThat(q.depth()).isZero();
  }
}
