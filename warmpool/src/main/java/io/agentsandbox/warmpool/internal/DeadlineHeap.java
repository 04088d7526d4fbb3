package io.agentsandbox.warmpool.internal;

import java.util.Arrays;

/**
 * Binary min-heap of entries ordered by deadline, with O(log n) removal of any entry (each entry
 * remembers its slot). Array-backed; adding and removing allocate nothing once the array has grown.
 * Owned by one pool's owner thread; not thread-safe.
 *
 * @param <E> entry type
 */
public final class DeadlineHeap<E extends DeadlineHeap.Entry> {

  /** Something with a deadline that can sit in one heap at a time. Not thread-safe. */
  public abstract static class Entry {
    long deadlineNs;
    int heapIndex = -1;

    public final long deadlineNs() {
      return deadlineNs;
    }

    public final boolean inHeap() {
      return heapIndex >= 0;
    }
  }

  private Entry[] heap = new Entry[16];
  private int size;

  public int size() {
    return size;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  /** Adds an entry that is in no heap. */
  public void add(E entry, long deadlineNs) {
    if (entry.heapIndex >= 0) throw new IllegalStateException("entry already in a heap");
    if (size == heap.length) heap = Arrays.copyOf(heap, size * 2);
    entry.deadlineNs = deadlineNs;
    heap[size] = entry;
    entry.heapIndex = size;
    siftUp(size++);
  }

  /** The entry with the earliest deadline, or null. */
  @SuppressWarnings("unchecked")
  public E peek() {
    return size == 0 ? null : (E) heap[0];
  }

  /** Removes and returns the earliest entry if its deadline is at or before {@code nowNs}. */
  @SuppressWarnings("unchecked")
  public E pollExpired(long nowNs) {
    if (size == 0 || heap[0].deadlineNs - nowNs > 0) return null;
    E head = (E) heap[0];
    removeAt(0);
    return head;
  }

  /** Removes the entry if it is in this heap; returns whether it was. */
  public boolean remove(E entry) {
    int i = entry.heapIndex;
    if (i < 0 || i >= size || heap[i] != entry) return false;
    removeAt(i);
    return true;
  }

  private void removeAt(int i) {
    Entry removed = heap[i];
    removed.heapIndex = -1;
    int last = --size;
    if (i != last) {
      Entry moved = heap[last];
      heap[i] = moved;
      moved.heapIndex = i;
      heap[last] = null;
      siftDown(i);
      if (heap[i] == moved) siftUp(i);
    } else {
      heap[last] = null;
    }
  }

  private void siftUp(int i) {
    Entry e = heap[i];
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      Entry p = heap[parent];
      // NOTE: compare by difference, as System.nanoTime values may wrap.
      if (e.deadlineNs - p.deadlineNs >= 0) break;
      heap[i] = p;
      p.heapIndex = i;
      i = parent;
    }
    heap[i] = e;
    e.heapIndex = i;
  }

  private void siftDown(int i) {
    Entry e = heap[i];
    int half = size >>> 1;
    while (i < half) {
      int child = 2 * i + 1;
      Entry c = heap[child];
      int right = child + 1;
      if (right < size && heap[right].deadlineNs - c.deadlineNs < 0) {
        child = right;
        c = heap[child];
      }
      if (e.deadlineNs - c.deadlineNs <= 0) break;
      heap[i] = c;
      c.heapIndex = i;
      i = child;
    }
    heap[i] = e;
    e.heapIndex = i;
  }
}
