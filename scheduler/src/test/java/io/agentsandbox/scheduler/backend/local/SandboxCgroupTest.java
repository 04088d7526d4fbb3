package io.agentsandbox.scheduler.backend.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Limits and the cgroup v1/v2 file writes, against a fake tree in a temp dir. */
class SandboxCgroupTest {

  @TempDir Path tmp;

  private static final SandboxLimits LIMITS = SandboxLimits.of(256L << 20, 500, 1L << 30, 0);

  @Test
  void shouldTakeTheTemplateLimitsAndFallBackToTheServerDefaults() {
    assertThat(LIMITS.memoryBytes()).isEqualTo(256L << 20);
    assertThat(LIMITS.cpuQuotaUs()).isEqualTo(50_000);
    assertThat(LIMITS.pids()).isEqualTo(SandboxLimits.DEFAULT_PIDS);
    assertThat(LIMITS.tmpBytes()).isEqualTo(128L << 20);

    SandboxLimits unset = SandboxLimits.of(0, 0, 1L << 30, 64);
    assertThat(unset.memoryBytes()).isEqualTo(1L << 30);
    assertThat(unset.cpuQuotaUs()).isEqualTo(-1);
    assertThat(unset.pids()).isEqualTo(64);
    assertThat(SandboxLimits.of(0, 0, 0, 0).memoryBytes()).isZero();
    assertThat(SandboxLimits.of(0, 0, 0, 0).tmpBytes())
        .isEqualTo(SandboxLimits.UNLIMITED_TMP_BYTES);
    assertThat(SandboxLimits.of(1L << 20, 2_000, 0, 0).tmpBytes()).isEqualTo(16L << 20);
    assertThat(SandboxLimits.of(0, 2_000, 0, 0).cpuQuotaUs()).isEqualTo(200_000);
  }

  @Test
  void v1ShouldWriteMemoryWithoutSwapCpuQuotaAndPidsPerController() throws Exception {
    Map<CgroupDriver.Controller, Path> mounts =
        Map.of(
            CgroupDriver.Controller.MEMORY, tmp.resolve("memory"),
            CgroupDriver.Controller.CPU, tmp.resolve("cpu"),
            CgroupDriver.Controller.PIDS, tmp.resolve("pids"));
    CgroupV1 v1 = new CgroupV1(mounts);
    // the kernel offers memsw and swappiness only where it accounts swap
    Path mem = tmp.resolve("memory/agent-sandbox/sb");
    Files.createDirectories(mem);
    Files.writeString(mem.resolve("memory.memsw.limit_in_bytes"), "");
    Files.writeString(mem.resolve("memory.swappiness"), "60");

    List<Path> procs = v1.create("sb", LIMITS);

    assertThat(Files.readString(mem.resolve("memory.limit_in_bytes"))).isEqualTo("268435456");
    assertThat(Files.readString(mem.resolve("memory.memsw.limit_in_bytes"))).isEqualTo("268435456");
    assertThat(Files.readString(mem.resolve("memory.swappiness"))).isEqualTo("0");
    Path cpu = tmp.resolve("cpu/agent-sandbox/sb");
    assertThat(Files.readString(cpu.resolve("cpu.cfs_period_us"))).isEqualTo("100000");
    assertThat(Files.readString(cpu.resolve("cpu.cfs_quota_us"))).isEqualTo("50000");
    assertThat(Files.readString(tmp.resolve("pids/agent-sandbox/sb/pids.max"))).isEqualTo("1024");
    assertThat(procs)
        .containsExactly(
            mem.resolve("cgroup.procs"),
            cpu.resolve("cgroup.procs"),
            tmp.resolve("pids/agent-sandbox/sb/cgroup.procs"));
    assertThat(v1.controllers()).containsExactlyInAnyOrder(CgroupDriver.Controller.values());
  }

  @Test
  void v1ShouldReadOomKillsAndSkipMissingControllers() throws Exception {
    CgroupV1 v1 = new CgroupV1(Map.of(CgroupDriver.Controller.PIDS, tmp.resolve("pids")));
    assertThat(v1.create("sb", LIMITS)).hasSize(1);
    assertThat(v1.controllers()).containsExactly(CgroupDriver.Controller.PIDS);
    assertThat(v1.oomKills("sb")).isZero();

    CgroupV1 mem = new CgroupV1(Map.of(CgroupDriver.Controller.MEMORY, tmp.resolve("memory")));
    mem.create("sb", LIMITS);
    Files.writeString(
        tmp.resolve("memory/agent-sandbox/sb/memory.oom_control"),
        "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
    assertThat(mem.oomKills("sb")).isEqualTo(3);
  }

  @Test
  void v2ShouldEnableControllersAndWriteMaxFiles() throws Exception {
    EnumSet<CgroupDriver.Controller> all = EnumSet.allOf(CgroupDriver.Controller.class);
    CgroupV2 v2 = new CgroupV2(tmp, all);
    Path dir = tmp.resolve("agent-sandbox/sb");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("memory.swap.max"), "max");

    assertThat(v2.create("sb", LIMITS)).containsExactly(dir.resolve("cgroup.procs"));

    assertThat(Files.readString(tmp.resolve("cgroup.subtree_control")))
        .isEqualTo("+memory +cpu +pids");
    assertThat(Files.readString(tmp.resolve("agent-sandbox/cgroup.subtree_control")))
        .isEqualTo("+memory +cpu +pids");
    assertThat(Files.readString(dir.resolve("memory.max"))).isEqualTo("268435456");
    assertThat(Files.readString(dir.resolve("memory.swap.max"))).isEqualTo("0");
    assertThat(Files.readString(dir.resolve("cpu.max"))).isEqualTo("50000 100000");
    assertThat(Files.readString(dir.resolve("pids.max"))).isEqualTo("1024");
    Files.writeString(dir.resolve("memory.events"), "low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\n");
    assertThat(v2.oomKills("sb")).isEqualTo(2);
  }

  @Test
  void removeShouldDeleteTheGroupAndBeIdempotent() throws Exception {
    CgroupV2 v2 = new CgroupV2(tmp, EnumSet.of(CgroupDriver.Controller.PIDS));
    v2.create("sb", LIMITS);
    // a real cgroup directory empties itself on rmdir; the fake one must be emptied here
    try (var files = Files.list(tmp.resolve("agent-sandbox/sb"))) {
      for (Path f : files.toList()) Files.delete(f);
    }
    v2.remove("sb");
    v2.remove("sb");
    assertThat(tmp.resolve("agent-sandbox/sb")).doesNotExist();
  }

  @Test
  void detectShouldPreferAV2HierarchyWithMemoryElseV1() throws Exception {
    Path v2root = Files.createDirectories(tmp.resolve("unified"));
    Files.writeString(v2root.resolve("cgroup.controllers"), "hugetlb\n");
    Path memory = Files.createDirectories(tmp.resolve("memory"));
    Path mounts = tmp.resolve("mounts");
    Files.writeString(
        mounts,
        "cgroup2 "
            + v2root
            + " cgroup2 rw,relatime 0 0\n"
            + "cgroup "
            + memory
            + " cgroup rw,relatime,memory 0 0\n"
            + "proc /proc proc rw 0 0\n");
    // a fake tree has no cgroup.procs: the group only counts once the kernel would make one
    Files.createDirectories(memory.resolve(CgroupDriver.PARENT));
    Files.writeString(memory.resolve(CgroupDriver.PARENT).resolve("cgroup.procs"), "");

    CgroupDriver d = SandboxCgroup.detect(mounts);
    assertThat(d.version()).isEqualTo("v1");
    assertThat(d.controllers()).containsExactly(CgroupDriver.Controller.MEMORY);

    Files.writeString(v2root.resolve("cgroup.controllers"), "cpuset cpu io memory pids\n");
    Files.createDirectories(v2root.resolve(CgroupDriver.PARENT));
    Files.writeString(v2root.resolve(CgroupDriver.PARENT).resolve("cgroup.procs"), "");
    CgroupDriver d2 = SandboxCgroup.detect(mounts);
    assertThat(d2.version()).isEqualTo("v2");
    assertThat(d2.controllers()).containsExactlyInAnyOrder(CgroupDriver.Controller.values());

    assertThat(SandboxCgroup.detect(tmp.resolve("no-such-file")).version()).isEqualTo("none");
  }

  @Test
  void unenforcedLimitsShouldBeNamed() {
    SandboxCgroup none = new SandboxCgroup(new CgroupDriver.None(), 1L << 30, 1_024);
    assertThat(none.unenforced()).containsExactlyInAnyOrder(CgroupDriver.Controller.values());
    assertThat(none.describe()).contains("NOT enforced here").contains("MEMORY");
    assertThat(none.join("sb", List.of("true"))).containsExactly("true");
  }

  @Test
  void joinShouldWriteItsPidIntoEveryFileThenBecomeTheCommand() throws Exception {
    Path a = tmp.resolve("a.procs");
    Path b = tmp.resolve("b.procs");
    List<String> argv =
        SandboxCgroup.joinArgv(
            List.of(a, b), List.of("/bin/sh", "-c", "echo $$; echo \"$1\"", "sh", "x y"));
    Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    String[] out = new String(p.getInputStream().readAllBytes()).split("\n");
    assertThat(out[1]).isEqualTo("x y");
    assertThat(Files.readString(a).trim()).isEqualTo(out[0]).isEqualTo(Long.toString(p.pid()));
    assertThat(Files.readString(b).trim()).isEqualTo(out[0]);

    List<String> failing =
        SandboxCgroup.joinArgv(List.of(tmp.resolve("no/such/dir/procs")), List.of("true"));
    Process f = new ProcessBuilder(failing).redirectError(new File("/dev/null")).start();
    assertThat(f.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(f.exitValue()).isEqualTo(SandboxCgroup.JOIN_FAILED);
  }

  @Test
  void deathReasonShouldSayOutOfMemoryOnlyAfterAnOomKill() {
    assertThat(SandboxLifecycle.deathReason(1)).startsWith("OutOfMemory");
    assertThat(SandboxLifecycle.deathReason(0)).startsWith("Died");
  }
}
