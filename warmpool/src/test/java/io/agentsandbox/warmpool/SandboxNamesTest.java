package io.agentsandbox.warmpool;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SandboxNamesTest {

  @Test
  void shouldHandOutFiveCharNamesNeverRepeated() {
    SandboxNames names = new SandboxNames("py", 7);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 50_000; i++) {
      String n = names.next();
      assertThat(n).matches("py-[bcdfghjklmnpqrstvwxz2456789]{5}");
      assertThat(seen.add(n)).as("repeated %s", n).isTrue();
    }
  }

  @Test
  void shouldMapEveryNameBackToItsPositionInTheSequence() {
    SandboxNames names = new SandboxNames("py", 11);
    for (long i = 0; i < 1_000; i++) assertThat(names.sequenceOf(names.next())).isEqualTo(i);
    assertThat(names.sequenceOf("other-bbbbb")).isEqualTo(-1);
    assertThat(names.sequenceOf("py-bbbb")).isEqualTo(-1);
    assertThat(names.sequenceOf("py-aaaaa")).isEqualTo(-1);
  }

  @Test
  void shouldStartWhereTheSeedSaysSameSeedSameNames() {
    assertThat(new SandboxNames("py", 3).next()).isEqualTo(new SandboxNames("py", 3).next());
    assertThat(new SandboxNames("py", 3).next()).isNotEqualTo(new SandboxNames("py", 4).next());
  }

  @Test
  void shouldNeverHandOutAnAdoptedNameAndMovePastIt() {
    SandboxNames previousRun = new SandboxNames("py", 5);
    String first = previousRun.next();
    String second = previousRun.next();
    String third = previousRun.next();

    SandboxNames names = new SandboxNames("py", 5);
    names.adopt(second);
    names.adopt("py-not-ours");
    // The sequence moved past the adopted name: neither it nor the names before it come again.
    assertThat(names.next()).isEqualTo(third);

    SandboxNames skipping = new SandboxNames("py", 5);
    skipping.adopt("py-not-ours");
    assertThat(skipping.next()).isEqualTo(first);
  }
}
