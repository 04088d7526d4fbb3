package io.agentsandbox.core.port;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.model.BindingRecord;
import io.agentsandbox.core.model.LaunchType;
import io.agentsandbox.core.model.OnEmpty;
import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.testing.BindingStoreContract;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The binding-store contract against {@link BindingStore#NOOP}, which keeps nothing. */
class NoopBindingStoreTest extends BindingStoreContract {

  @Override
  protected BindingStore store() {
    return BindingStore.NOOP;
  }

  @Override
  protected BindingRecord newBinding(String claimId) {
    return new BindingRecord(
        claimId,
        new PoolKey("default", "pool"),
        "sb-" + claimId,
        "tenant",
        0,
        OnEmpty.WAIT,
        LaunchType.WARM,
        0,
        0);
  }

  @Override
  protected Optional<Collection<BindingRecord>> recoverable() {
    return Optional.empty();
  }

  @Test
  void shouldReportDurableOnTheCallingThreadAndSayItIsNoop() {
    AtomicReference<String> thread = new AtomicReference<>();
    BindingStore.NOOP.persist(newBinding("c"), t -> thread.set(Thread.currentThread().getName()));
    assertThat(thread.get()).isEqualTo(Thread.currentThread().getName());
    assertThat(BindingStore.NOOP.isNoop()).isTrue();
  }
}
