package io.numarrow.threading;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The owner's push and pop against thieves' steal on {@link WorkStealingQueue}. Items are small
 * Integers (1, 2, 3); a test's arbiter drains what the actors left with {@code pop} and counts how
 * often each item was taken: once, and only once, is the one acceptable count.
 */
public final class WorkStealingQueueStress {
    private WorkStealingQueueStress() {
    }

    /** What a take gave back: the item's number, 0 for null (empty), -1 for {@code LOST_RACE}. */
    static int id(Object taken) {
        if (taken == null) {
            return 0;
        }
        return taken == WorkStealingQueue.LOST_RACE ? -1 : (Integer) taken;
    }

    /** A deque of {@code capacity} with {@code items} pushed in order, before the actors start. */
    static WorkStealingQueue<Integer> holding(int capacity, int... items) {
        WorkStealingQueue<Integer> q = new WorkStealingQueue<>(capacity);
        for (int item : items) {
            q.push(item);
        }
        return q;
    }

    /** A thief's two steals in a row, as ids ({@link #id}). */
    static final class TwoSteals {
        int first;
        int second;

        void from(WorkStealingQueue<Integer> q) {
            first = id(q.steal());
            second = id(q.steal());
        }

        /** How many of the two steals got an item. */
        int items() {
            return (first > 0 ? 1 : 0) + (second > 0 ? 1 : 0);
        }
    }

    /**
     * How often each item up to {@code largest} was taken, at its index: by the actors ({@code takes},
     * ids as {@link #id} gives them) or left in the deque, which this pops empty.
     */
    static int[] timesTaken(WorkStealingQueue<Integer> q, int largest, int... takes) {
        int[] times = new int[largest + 1];
        for (int t : takes) {
            if (t > 0) {
                times[t]++;
            }
        }
        for (Integer left = q.pop(); left != null; left = q.pop()) {
            times[left]++;
        }
        return times;
    }

    /**
     * The last element, contended: the owner pops it while a thief steals it. The pop's CAS on top is
     * what settles it (pop's comment: "whoever moves top first gets it").
     */
    @JCStressTest
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "the owner took it; the thief found the deque empty")
    @Outcome(id = "1, -1", expect = ACCEPTABLE_INTERESTING, desc = "the owner took it; the thief saw it and lost the CAS")
    @Outcome(id = "0, 1", expect = ACCEPTABLE_INTERESTING, desc = "the thief took it; the owner found it gone or lost the CAS")
    @Outcome(id = "1, 1", expect = FORBIDDEN, desc = "taken twice")
    @Outcome(expect = FORBIDDEN, desc = "lost (neither took it) or something else")
    @State
    public static class LastElement {
        final WorkStealingQueue<Integer> q = holding(4, 1);

        @Actor
        public void owner(II_Result r) {
            r.r1 = id(q.pop());
        }

        @Actor
        public void thief(II_Result r) {
            r.r2 = id(q.steal());
        }
    }

    /**
     * Two elements; the owner pops once while a thief steals twice. The pop takes the bottom element
     * without a CAS when it sees top below it, so its store of bottom must be visible before its load of
     * top (pop's "volatile store then volatile load"): with a weaker store the owner reads an old top,
     * the thief an old bottom, and both take item 2. r1, r2: how often items 1 and 2 were taken; r3:
     * what the owner's pop gave.
     */
    @JCStressTest
    @Outcome(id = "1, 1, 2", expect = ACCEPTABLE, desc = "each taken once; the owner got the newest")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE_INTERESTING, desc = "each taken once; the thief got both")
    @Outcome(expect = FORBIDDEN, desc = "an item taken twice or lost, or the owner's pop gave the oldest")
    @State
    public static class PopVsTwoSteals {
        final WorkStealingQueue<Integer> q = holding(4, 1, 2);
        int popped;
        final TwoSteals stolen = new TwoSteals();

        @Actor
        public void owner() {
            popped = id(q.pop());
        }

        @Actor
        public void thief() {
            stolen.from(q);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            int[] times = timesTaken(q, 2, popped, stolen.first, stolen.second);
            r.r1 = times[1];
            r.r2 = times[2];
            r.r3 = popped;
        }
    }

    /**
     * The owner pushes two items and pops twice while a thief steals twice: a thief that sees a bottom
     * the owner just released must find the slot's item (offer's "the slot is published by the
     * release store of bottom"). r1, r2: how often items 1 and 2 were taken; r3: how many the thief took.
     */
    @JCStressTest
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "each taken once, both by the owner")
    @Outcome(id = "1, 1, [12]", expect = ACCEPTABLE_INTERESTING, desc = "each taken once, one or both by the thief")
    @Outcome(expect = FORBIDDEN, desc = "an item taken twice or lost")
    @State
    public static class PushPopVsSteal {
        final WorkStealingQueue<Integer> q = new WorkStealingQueue<>(4);
        int popped1;
        int popped2;
        final TwoSteals stolen = new TwoSteals();

        @Actor
        public void owner() {
            q.push(1);
            q.push(2);
            popped1 = id(q.pop());
            popped2 = id(q.pop());
        }

        @Actor
        public void thief() {
            stolen.from(q);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            int[] times = timesTaken(q, 2, popped1, popped2, stolen.first, stolen.second);
            r.r1 = times[1];
            r.r2 = times[2];
            r.r3 = stolen.items();
        }
    }

    /** Two thieves, one element: the CAS on top gives it to exactly one of them. */
    @JCStressTest
    @Outcome(id = {"1, 0", "1, -1", "0, 1", "-1, 1"}, expect = ACCEPTABLE, desc = "one thief took it")
    @Outcome(expect = FORBIDDEN, desc = "taken twice, or lost")
    @State
    public static class TwoThieves {
        final WorkStealingQueue<Integer> q = holding(4, 1);

        @Actor
        public void thief1(II_Result r) {
            r.r1 = id(q.steal());
        }

        @Actor
        public void thief2(II_Result r) {
            r.r2 = id(q.steal());
        }
    }

    /**
     * The owner pops against two thieves, the last of three elements contended by all three. Needs three
     * CPUs: jcstress does not schedule it on a two-CPU machine (it says so), where {@link TwoThieves}
     * and {@link PopVsTwoSteals} cover the pairs. r1..r3: how often items 1, 2, 3 were taken.
     */
    @JCStressTest
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE, desc = "each taken exactly once")
    @Outcome(expect = FORBIDDEN, desc = "an item taken twice or lost")
    @State
    public static class OwnerAndTwoThieves {
        final WorkStealingQueue<Integer> q = holding(4, 1, 2, 3);
        int popped1;
        int popped2;
        int thief1;
        int thief2;

        @Actor
        public void owner() {
            popped1 = id(q.pop());
            popped2 = id(q.pop());
        }

        @Actor
        public void thief1() {
            thief1 = id(q.steal());
        }

        @Actor
        public void thief2() {
            thief2 = id(q.steal());
        }

        @Arbiter
        public void arbiter(III_Result r) {
            int[] times = timesTaken(q, 3, popped1, popped2, thief1, thief2);
            r.r1 = times[1];
            r.r2 = times[2];
            r.r3 = times[3];
        }
    }

    /**
     * Wrap-around at capacity: a deque of two whose indices already went round once, with the old
     * item 9 still in slot 0 (a steal leaves its reference behind). The owner pushes 1 (slot 1) and 2
     * (slot 0 again, over the 9) and pops once; a thief steals twice. No take may give the 9, and 1
     * and 2 are each taken once. r1, r2: how often 1 and 2 were taken; r3: how often the stale 9 was.
     */
    @JCStressTest
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "each taken once; the old slot content never seen")
    @Outcome(expect = FORBIDDEN, desc = "an item taken twice or lost, or the overwritten item seen again")
    @State
    public static class WrapAround {
        final WorkStealingQueue<Integer> q = new WorkStealingQueue<>(2);
        int popped;
        final TwoSteals stolen = new TwoSteals();

        public WrapAround() {
            q.push(9);
            if (id(q.steal()) != 9) {
                throw new IllegalStateException("set-up steal failed");
            }
        }

        @Actor
        public void owner() {
            q.push(1);
            q.push(2);
            popped = id(q.pop());
        }

        @Actor
        public void thief() {
            stolen.from(q);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            int[] times = timesTaken(q, 9, popped, stolen.first, stolen.second);
            r.r1 = times[1];
            r.r2 = times[2];
            r.r3 = times[9];
        }
    }

    /**
     * {@link QueueFullException} exactly at capacity: the owner pushes three items into a deque of two
     * while a thief steals once. The third push fits only if the steal freed a slot before it. With no
     * other taker, a thief that saw an item must get it (a {@code LOST_RACE} means it read an empty slot
     * below a published bottom). r1: pushes accepted; r2: what the thief got; r3: size afterwards.
     */
    @JCStressTest
    @Outcome(id = {"2, 0, 2", "2, 1, 1"}, expect = ACCEPTABLE, desc = "full at two: the third push threw")
    @Outcome(id = "3, 1, 2", expect = ACCEPTABLE_INTERESTING, desc = "the steal freed a slot before the third push")
    @Outcome(expect = FORBIDDEN, desc = "more than capacity accepted, a push refused below capacity, an item lost, or an empty slot read")
    @State
    public static class FullAtCapacity {
        final WorkStealingQueue<Integer> q = new WorkStealingQueue<>(2);

        @Actor
        public void owner(III_Result r) {
            int accepted = 0;
            try {
                for (int i = 1; i <= 3; i++) {
                    q.push(i);
                    accepted++;
                }
            } catch (QueueFullException expected) {
                // the count says where it came
            }
            r.r1 = accepted;
        }

        @Actor
        public void thief(III_Result r) {
            r.r2 = id(q.steal());
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r3 = q.size();
            if (r.r2 > 1) {
                r.r2 = 1; // which item the thief got does not matter here, only that it got one
            }
        }
    }
}
