package io.agentsandbox.warmpool;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * One pool's members by state: every member by name, the ready ones (oldest first), the starting
 * ones (in creation order, for the readiness grace), how many of those are dedicated to a cold
 * claim, and how many are being deleted. Names come from {@link SandboxNames}. Owned by the pool's
 * owner thread; not thread-safe; pure: it changes no member's state but through its own methods and
 * has no effects outside.
 */
final class Roster {

  private final SandboxNames names;
  private final HashMap<String, Member> members = new HashMap<>();
  private final ArrayDeque<Member> ready = new ArrayDeque<>();
  private final LinkedHashMap<String, Member> starting = new LinkedHashMap<>();
  private int startingCold;
  private int deleting;

  Roster(SandboxNames names) {
    this.names = names;
  }

  /** A new starting member with a name never used by this pool. */
  Member start(long nowNs) {
    String name;
    do {
      name = names.next();
    } while (members.containsKey(name));
    Member m = new Member(name, nowNs);
    members.put(name, m);
    starting.put(name, m);
    return m;
  }

  /** A running member of a previous run, under its old name (never handed out again). */
  Member adopt(String sandboxName, long nowNs) {
    names.adopt(sandboxName);
    Member member = new Member(sandboxName, nowNs);
    members.put(sandboxName, member);
    return member;
  }

  Member get(String sandboxName) {
    return members.get(sandboxName);
  }

  boolean contains(String sandboxName) {
    return members.containsKey(sandboxName);
  }

  /** Forgets a member (gone or failed). */
  Member remove(String sandboxName) {
    return members.remove(sandboxName);
  }

  boolean isEmpty() {
    return members.isEmpty();
  }

  /** The member is no longer starting (ready, failed, or given up). */
  void leaveStarting(Member m) {
    starting.remove(m.name);
  }

  /**
   * The oldest starting member that has been starting for {@code graceNs} or longer, taken out of
   * the starting ones; or null.
   */
  Member pollStuck(long nowNs, long graceNs) {
    if (starting.isEmpty()) return null;
    Member oldest = starting.values().iterator().next();
    if (nowNs - oldest.createdAtNs < graceNs) return null;
    starting.remove(oldest.name);
    return oldest;
  }

  /** Every starting member, copied. */
  List<Member> startingMembers() {
    return new ArrayList<>(starting.values());
  }

  void addReady(Member m) {
    m.state = Member.State.READY;
    ready.addLast(m);
  }

  /** The oldest ready member, taken out; or null. */
  Member pollReady() {
    return ready.pollFirst();
  }

  /** The newest ready member (the first to trim), taken out; or null. */
  Member pollNewestReady() {
    return ready.pollLast();
  }

  void removeReady(Member m) {
    ready.remove(m);
  }

  void markDeleting(Member m) {
    m.state = Member.State.DELETING;
    deleting++;
  }

  /** A member being deleted is gone (or failed while being deleted). */
  void deletingEnded() {
    deleting--;
  }

  /** A starting member was dedicated to ({@code +1}) or freed from ({@code -1}) a cold claim. */
  void coldStartsChanged(int delta) {
    startingCold += delta;
  }

  /** No member is starting for a cold claim any more (the pool was removed). */
  void clearColdStarts() {
    startingCold = 0;
  }

  /** Members starting for the pool (not for one cold claim). */
  int startingPool() {
    return starting.size() - startingCold;
  }

  int readyCount() {
    return ready.size();
  }

  int startingCount() {
    return starting.size();
  }

  int deletingCount() {
    return deleting;
  }
}
