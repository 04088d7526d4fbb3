package io.agentsandbox.scheduler.shard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/**
 * The same-thread shortcut ({@link ShardProxy#submitClaim} calling the shard directly on its own
 * thread) is taken with assertions on and with assertions off: the owner is bound by the first
 * drain, outside any assert. The assertions-off run loads the shard, warmpool and core classes
 * afresh in a class loader whose default assertion status is off.
 */
class SameThreadShortcutTest {

  @Test
  void shouldTakeShortcutWithAssertionsOn() throws Exception {
    Map<String, Object> r = new SameThreadShortcutProbe().call();
    assertThat(r).containsEntry("assertionsOn", true);
    assertShortcutTaken(r);
  }

  @Test
  void shouldTakeShortcutWithAssertionsOff() throws Exception {
    try (URLClassLoader loader = freshLoader()) {
      loader.setDefaultAssertionStatus(false);
      Class<?> probe = loader.loadClass(SameThreadShortcutProbe.class.getName());
      assertThat(probe.getClassLoader()).isSameAs(loader);
      @SuppressWarnings("unchecked")
      Callable<Map<String, Object>> call =
          (Callable<Map<String, Object>>) probe.getDeclaredConstructor().newInstance();
      Map<String, Object> r = call.call();
      assertThat(r).containsEntry("assertionsOn", false).containsEntry("shardAssertionsOn", false);
      assertShortcutTaken(r);
    }
  }

  private static void assertShortcutTaken(Map<String, Object> r) {
    assertThat(r)
        .containsEntry("ownerBeforeFirstDrain", false)
        .containsEntry("ownerAfterFirstDrain", true)
        .containsEntry("ownAccepted", true)
        .containsEntry("ownAnsweredWithoutDrain", true)
        .containsEntry("ownAssigned", true)
        .containsEntry("otherSeenAsOwner", false)
        .containsEntry("otherAccepted", true)
        .containsEntry("otherAnsweredWithoutDrain", false)
        .containsEntry("otherQueued", 1)
        .containsEntry("otherAnsweredAfterDrain", true);
  }

  /** Every class of the test class path loaded again; the JDK's from the platform loader. */
  private static URLClassLoader freshLoader() throws Exception {
    String path =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<URL> urls = new ArrayList<>();
    for (String entry : path.split(File.pathSeparator)) {
      if (!entry.isEmpty()) urls.add(new File(entry).toURI().toURL());
    }
    return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
  }
}
