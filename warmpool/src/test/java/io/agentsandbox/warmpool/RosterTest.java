package io.agentsandbox.warmpool;

import static org.assertj.core.api.Assertions.assertThat;

import io.agentsandbox.core.testing.ManualClock;
import org.junit.jupiter.api.Test;

class RosterTest {

  private final ManualClock clock = new ManualClock();
  private final Roster roster = new Roster(new SandboxNames("py", 1));

  @Test
  void shouldTrackMembersThroughTheirStates() {
    Member a = roster.start(clock.nanoTime());
    Member b = roster.start(clock.nanoTime());
    assertThat(a.name).isNotEqualTo(b.name).startsWith("py-");
    assertThat(roster.startingCount()).isEqualTo(2);
    assertThat(roster.startingPool()).isEqualTo(2);

    roster.leaveStarting(a);
    roster.addReady(a);
    roster.leaveStarting(b);
    roster.addReady(b);
    assertThat(roster.readyCount()).isEqualTo(2);
    assertThat(roster.pollNewestReady()).isSameAs(b);
    assertThat(roster.pollReady()).isSameAs(a);
    assertThat(roster.pollReady()).isNull();

    roster.markDeleting(a);
    assertThat(a.state).isEqualTo(Member.State.DELETING);
    assertThat(roster.deletingCount()).isEqualTo(1);
    roster.deletingEnded();
    roster.remove(a.name);
    roster.remove(b.name);
    assertThat(roster.isEmpty()).isTrue();
  }

  @Test
  void shouldGiveUpOnlyMembersStartingLongerThanTheGraceOldestFirst() {
    Member first = roster.start(clock.nanoTime());
    Member second = roster.start(clock.advanceMs(500));
    assertThat(roster.pollStuck(clock.advanceMs(499), 1_000_000_000L)).isNull();
    assertThat(roster.pollStuck(clock.advanceMs(1), 1_000_000_000L)).isSameAs(first);
    assertThat(roster.pollStuck(clock.nanoTime(), 1_000_000_000L)).isNull();
    assertThat(roster.pollStuck(clock.advanceMs(500), 1_000_000_000L)).isSameAs(second);
    assertThat(roster.startingCount()).isZero();
  }

  @Test
  void shouldCountColdStartsApartFromPoolStarts() {
    roster.start(clock.nanoTime());
    roster.start(clock.nanoTime());
    roster.coldStartsChanged(+1);
    assertThat(roster.startingPool()).isEqualTo(1);
    roster.clearColdStarts();
    assertThat(roster.startingPool()).isEqualTo(2);
  }

  @Test
  void shouldNeverStartAMemberUnderAnAdoptedName() {
    String previous = new Roster(new SandboxNames("py", 1)).start(clock.nanoTime()).name;
    Member adopted = roster.adopt(previous, clock.nanoTime());
    assertThat(roster.contains(previous)).isTrue();
    assertThat(roster.get(previous)).isSameAs(adopted);
    assertThat(roster.start(clock.nanoTime()).name).isNotEqualTo(previous);
  }
}
