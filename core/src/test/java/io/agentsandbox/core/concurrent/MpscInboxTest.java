package io.agentsandbox.core.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agentsandbox.core.testing.ManualExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class MpscInboxTest {

  /** Records every call in order; throws for messages named "boom". */
  private static final class RecordingHandler implements MpscInbox.Handler<String, String> {
    final List<String> events = new ArrayList<>();
    final List<Object> failedMessages = new ArrayList<>();
    final List<Throwable> failures = new ArrayList<>();
    final List<Integer> claimsPerTurn = new ArrayList<>();
    int claimsThisTurn;

    @Override
    public void onControl(String message) {
      events.add("control:" + message);
      if (message.startsWith("boom")) throw new IllegalStateException("control " + message);
    }

    @Override
    public void onClaim(String message) {
      events.add("claim:" + message);
      claimsThisTurn++;
      if (message.startsWith("boom")) throw new IllegalStateException("claim " + message);
    }

    @Override
    public void onDrainTurnEnd() {
      events.add("turnEnd");
      claimsPerTurn.add(claimsThisTurn);
      claimsThisTurn = 0;
    }

    @Override
    public void onHandlerFailure(Object message, Throwable failure) {
      failedMessages.add(message);
      failures.add(failure);
    }
  }

  /** Counts {@code execute} calls, runs nothing until the test says so. */
  private static final class CountingExecutor implements Executor {
    final ManualExecutor tasks = new ManualExecutor();
    int executeCalls;

    @Override
    public void execute(Runnable task) {
      executeCalls++;
      tasks.execute(task);
    }
  }

  private final RecordingHandler handler = new RecordingHandler();
  private final CountingExecutor executor = new CountingExecutor();

  private MpscInbox<String, String> inbox(int claimCapacity, int drainLimit) {
    return new MpscInbox<>(claimCapacity, drainLimit, executor, handler);
  }

  @Test
  void shouldHandleControlMessagesBeforeClaimsInATurn() {
    MpscInbox<String, String> inbox = inbox(16, 16);

    inbox.offerClaim("c1");
    inbox.offerControl("k1");
    inbox.offerClaim("c2");
    inbox.offerControl("k2");
    executor.tasks.runAll();

    assertThat(handler.events)
        .containsExactly("control:k1", "control:k2", "claim:c1", "claim:c2", "turnEnd");
  }

  @Test
  void shouldHandleAtMostDrainLimitClaimsPerTurnAndRescheduleWhenClaimsAreLeft() {
    MpscInbox<String, String> inbox = inbox(16, 2);
    for (int i = 1; i <= 5; i++) assertThat(inbox.offerClaim("c" + i)).isTrue();

    int turns = executor.tasks.runAll();

    assertThat(turns).isEqualTo(3);
    assertThat(handler.claimsPerTurn).containsExactly(2, 2, 1);
    assertThat(handler.events)
        .filteredOn(e -> e.startsWith("claim:"))
        .containsExactly("claim:c1", "claim:c2", "claim:c3", "claim:c4", "claim:c5");
    assertThat(executor.executeCalls).isEqualTo(3);
    assertThat(inbox.claimDepth()).isZero();
  }

  @Test
  void shouldHandleEveryControlMessageInATurnRegardlessOfDrainLimit() {
    MpscInbox<String, String> inbox = inbox(16, 1);
    for (int i = 1; i <= 5; i++) inbox.offerControl("k" + i);
    inbox.offerClaim("c1");
    inbox.offerClaim("c2");

    executor.tasks.runAll();

    assertThat(handler.events)
        .containsExactly(
            "control:k1",
            "control:k2",
            "control:k3",
            "control:k4",
            "control:k5",
            "claim:c1",
            "turnEnd",
            "claim:c2",
            "turnEnd");
  }

  @Test
  void shouldReturnFalseFromOfferClaimWhenClaimQueueIsFull() {
    MpscInbox<String, String> inbox = inbox(4, 16);
    assertThat(inbox.claimCapacity()).isEqualTo(4);

    for (int i = 1; i <= 4; i++) assertThat(inbox.offerClaim("c" + i)).isTrue();

    assertThat(inbox.offerClaim("c5")).isFalse();
    assertThat(inbox.claimDepth()).isEqualTo(4);

    executor.tasks.runAll();

    assertThat(handler.events)
        .filteredOn(e -> e.startsWith("claim:"))
        .hasSize(4)
        .doesNotContain("claim:c5");
    assertThat(inbox.offerClaim("c6")).isTrue();
  }

  @Test
  void shouldAcceptControlMessagesWhenClaimQueueIsFull() {
    MpscInbox<String, String> inbox = inbox(2, 16);
    inbox.offerClaim("c1");
    inbox.offerClaim("c2");

    inbox.offerControl("k1");
    executor.tasks.runAll();

    assertThat(handler.events).containsExactly("control:k1", "claim:c1", "claim:c2", "turnEnd");
  }

  @Test
  void shouldReportThrowingHandlerAndContinueWithNextMessage() {
    MpscInbox<String, String> inbox = inbox(16, 16);
    inbox.offerControl("boom-k");
    inbox.offerControl("k2");
    inbox.offerClaim("c1");
    inbox.offerClaim("boom-c");
    inbox.offerClaim("c3");

    executor.tasks.runAll();

    assertThat(handler.events)
        .containsExactly(
            "control:boom-k", "control:k2", "claim:c1", "claim:boom-c", "claim:c3", "turnEnd");
    assertThat(handler.failedMessages).containsExactly("boom-k", "boom-c");
    assertThat(handler.failures)
        .allSatisfy(f -> assertThat(f).isInstanceOf(IllegalStateException.class));
    // The inbox keeps working after the failures.
    inbox.offerClaim("c4");
    executor.tasks.runAll();
    assertThat(handler.events).endsWith("claim:c4", "turnEnd");
  }

  @Test
  void shouldScheduleOneDrainTaskPerBurst() {
    MpscInbox<String, String> inbox = inbox(64, 64);

    for (int i = 0; i < 20; i++) inbox.offerClaim("c" + i);
    for (int i = 0; i < 10; i++) inbox.offerControl("k" + i);

    assertThat(executor.executeCalls).isEqualTo(1);
    assertThat(executor.tasks.queued()).isEqualTo(1);

    assertThat(executor.tasks.runAll()).isEqualTo(1);
    assertThat(executor.executeCalls).isEqualTo(1);
    assertThat(handler.events).hasSize(31);

    // The next burst, after the inbox went idle, costs one more task.
    inbox.offerClaim("next");
    inbox.offerClaim("next2");
    assertThat(executor.executeCalls).isEqualTo(2);
  }

  @Test
  void shouldRejectInvalidConstructorArguments() {
    assertThatThrownBy(() -> new MpscInbox<String, String>(0, 1, executor, handler))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new MpscInbox<String, String>(1, 0, executor, handler))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(new MpscInbox<String, String>(1, 1, executor, handler).claimCapacity()).isEqualTo(2);
  }
}
