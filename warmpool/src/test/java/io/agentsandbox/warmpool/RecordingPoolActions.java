package io.agentsandbox.warmpool;

import io.agentsandbox.core.model.PoolKey;
import io.agentsandbox.core.model.SandboxBlueprint;
import java.util.ArrayList;
import java.util.List;

/** Pool actions that record what the pool asked for, in order. Single-threaded use. */
final class RecordingPoolActions implements PoolActions {
  final List<String> creates = new ArrayList<>();
  final List<String> deletes = new ArrayList<>();
  final List<String> endedClaims = new ArrayList<>();
  final List<ClaimView> lostClaims = new ArrayList<>();

  /**
   * Index into {@link #creates} of the oldest create not yet handed out by {@link #takeCreates}.
   */
  private int taken;

  @Override
  public void createSandbox(PoolKey pool, String sandboxName, SandboxBlueprint blueprint) {
    creates.add(sandboxName);
  }

  @Override
  public void deleteSandbox(PoolKey pool, String sandboxName) {
    deletes.add(sandboxName);
  }

  @Override
  public void claimEnded(String claimId) {
    endedClaims.add(claimId);
  }

  @Override
  public void claimLost(ClaimView view) {
    lostClaims.add(view);
    claimEnded(view.request().claimId());
  }

  /** Creates asked for since the last call, oldest first. */
  List<String> takeCreates() {
    List<String> out = new ArrayList<>(creates.subList(taken, creates.size()));
    taken = creates.size();
    return out;
  }

  /** The oldest create not yet handed out. */
  String takeCreate() {
    if (taken >= creates.size())
      throw new AssertionError("no create outstanding; creates: " + creates);
    return creates.get(taken++);
  }
}
