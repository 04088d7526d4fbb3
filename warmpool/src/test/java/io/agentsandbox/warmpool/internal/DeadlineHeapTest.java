package io.agentsandbox.warmpool.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DeadlineHeapTest {

  private static final class Item extends DeadlineHeap.Entry {
    final String name;

    Item(String name) {
      this.name = name;
    }

    @Override
    public String toString() {
      return name + "@" + deadlineNs();
    }
  }

  private final DeadlineHeap<Item> heap = new DeadlineHeap<>();

  private Item add(String name, long deadlineNs) {
    Item item = new Item(name);
    heap.add(item, deadlineNs);
    return item;
  }

  private List<String> pollAll(long nowNs) {
    List<String> out = new ArrayList<>();
    Item i;
    while ((i = heap.pollExpired(nowNs)) != null) out.add(i.name);
    return out;
  }

  @Test
  void shouldPollEntriesInDeadlineOrder() {
    add("e", 50);
    add("a", 10);
    add("d", 40);
    add("b", 20);
    add("c", 30);

    assertThat(heap.size()).isEqualTo(5);
    assertThat(heap.peek().name).isEqualTo("a");
    assertThat(pollAll(1_000)).containsExactly("a", "b", "c", "d", "e");
    assertThat(heap.isEmpty()).isTrue();
    assertThat(heap.peek()).isNull();
  }

  @Test
  void shouldKeepOrderWhenEntryIsRemovedFromTheMiddle() {
    List<Item> items = new ArrayList<>();
    for (int i = 0; i < 20; i++) items.add(add("i" + i, (i * 7L) % 20));
    Item middle = items.get(9);

    assertThat(heap.remove(middle)).isTrue();

    assertThat(middle.inHeap()).isFalse();
    assertThat(heap.remove(middle)).isFalse();
    assertThat(heap.size()).isEqualTo(19);
    List<String> expected =
        items.stream()
            .filter(i -> i != middle)
            .sorted(Comparator.comparingLong(DeadlineHeap.Entry::deadlineNs))
            .map(i -> i.name)
            .toList();
    assertThat(pollAll(1_000)).containsExactlyElementsOf(expected);
  }

  @Test
  void shouldPollOnlyEntriesWhoseDeadlineIsAtOrBeforeNow() {
    add("a", 100);
    add("b", 200);

    assertThat(heap.pollExpired(99)).isNull();
    assertThat(heap.pollExpired(100).name).isEqualTo("a");
    assertThat(heap.pollExpired(150)).isNull();
    assertThat(heap.size()).isEqualTo(1);
    assertThat(heap.pollExpired(201).name).isEqualTo("b");
  }

  @Test
  void shouldAcceptEntryAgainAfterItWasRemovedOrPolled() {
    Item a = add("a", 100);
    Item b = add("b", 200);

    heap.remove(a);
    heap.add(a, 300);
    assertThat(a.inHeap()).isTrue();
    assertThat(a.deadlineNs()).isEqualTo(300);

    assertThat(heap.pollExpired(1_000)).isSameAs(b);
    heap.add(b, 50);
    assertThat(pollAll(1_000)).containsExactly("b", "a");
  }

  @Test
  void shouldRefuseEntryThatIsAlreadyInAHeap() {
    Item a = add("a", 1);

    assertThatThrownBy(() -> heap.add(a, 2)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new DeadlineHeap<Item>().add(a, 2))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void shouldNotRemoveEntryThatBelongsToAnotherHeap() {
    DeadlineHeap<Item> other = new DeadlineHeap<>();
    Item a = add("a", 1);
    Item b = new Item("b");
    other.add(b, 5);

    assertThat(heap.remove(b)).isFalse();
    assertThat(other.remove(a)).isFalse();
    assertThat(heap.size()).isEqualTo(1);
    assertThat(other.size()).isEqualTo(1);
  }

  @Test
  void shouldOrderByDifferenceWhenDeadlinesWrapAround() {
    long now = Long.MAX_VALUE - 10;
    add("later", now + 20); // wraps to a negative value
    add("sooner", now + 5);

    assertThat(heap.pollExpired(now)).isNull();
    assertThat(heap.pollExpired(now + 5).name).isEqualTo("sooner");
    assertThat(heap.pollExpired(now + 19)).isNull();
    assertThat(heap.pollExpired(now + 20).name).isEqualTo("later");
  }

  @Test
  void shouldMatchSortedReferenceUnderRandomAddsRemovesAndPolls() {
    SplittableRandom random = new SplittableRandom(42);
    List<Item> live = new ArrayList<>();
    for (int step = 0; step < 20_000; step++) {
      int op = random.nextInt(10);
      if (op < 5 || live.isEmpty()) {
        live.add(add("s" + step, random.nextLong(0, 1_000)));
      } else if (op < 8) {
        Item victim = live.remove(random.nextInt(live.size()));
        assertThat(heap.remove(victim)).isTrue();
      } else {
        long now = random.nextLong(0, 1_000);
        Item polled = heap.pollExpired(now);
        long min = live.stream().mapToLong(DeadlineHeap.Entry::deadlineNs).min().orElseThrow();
        if (min <= now) {
          assertThat(polled).isNotNull();
          assertThat(polled.deadlineNs()).isEqualTo(min);
          assertThat(live.remove(polled)).isTrue();
        } else {
          assertThat(polled).isNull();
        }
      }
      assertThat(heap.size()).isEqualTo(live.size());
    }
    List<Long> rest = new ArrayList<>();
    Item i;
    while ((i = heap.pollExpired(Long.MAX_VALUE / 2)) != null) rest.add(i.deadlineNs());
    assertThat(rest).isSorted().hasSize(live.size());
  }
}
