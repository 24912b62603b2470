package io.numarrow.threading;

import java.util.ArrayList;
import java.util.List;

/** What tests read of a pool's workers that the pool itself never needs to report. */
final class PoolInternals {
    private PoolInternals() {
    }

    /** The pool's worker threads, started or not yet joined: for tests that check nothing leaks. */
    static List<Thread> threads(ThreadPool pool) {
        List<Thread> list = new ArrayList<>();
        for (Worker w : pool.workers) {
            if (w.thread != null) {
                list.add(w.thread);
            }
        }
        return list;
    }

    /** The workers {@code worker} steals from, in order of preference (same node first), by index. */
    static List<Integer> victimOrder(ThreadPool pool, int worker) {
        List<Integer> order = new ArrayList<>();
        Worker w = pool.workers[worker];
        for (Worker v : w.sameNodeVictims) {
            order.add(v.index);
        }
        for (Worker v : w.otherVictims) {
            order.add(v.index);
        }
        return order;
    }
}
