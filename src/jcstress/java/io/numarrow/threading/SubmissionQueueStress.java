package io.numarrow.threading;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * Producers against the consuming worker on {@link SubmissionQueue}, the inbox of tasks submitted from
 * outside the pool. Each item is a {@link Task} whose payload the producer writes (plainly) just before
 * the offer: a consumer must see it (the slot is published by the release store of its sequence,
 * which takes read with acquire). Queues of two whose indices already went round once, so slots are reused.
 */
public final class SubmissionQueueStress {
    private SubmissionQueueStress() {
    }

    /** A queued item with a payload written by its producer before the offer. */
    static final class Task {
        final int id;
        int payload;

        Task(int id) {
            this.id = id;
        }
    }

    /** A queue of two that has taken and given back two items already: its next puts reuse both slots. */
    static SubmissionQueue<Task> wrappedQueue() {
        SubmissionQueue<Task> q = new SubmissionQueue<>(2);
        for (int i = 0; i < 2; i++) {
            if (!q.offer(new Task(-1)) || q.poll() == null) {
                throw new IllegalStateException("set-up failed");
            }
        }
        return q;
    }

    static Task offered(int id) {
        Task t = new Task(id);
        t.payload = 100 + id;
        return t;
    }

    /** Offers items 1 and 2, in that order, as one producer. */
    static void offerOneThenTwo(SubmissionQueue<Task> q) {
        q.offer(offered(1));
        q.offer(offered(2));
    }

    /** The consumer's two polls in a row. */
    static final class TwoPolls {
        Task first;
        Task second;

        void from(SubmissionQueue<Task> q) {
            first = q.poll();
            second = q.poll();
        }
    }

    /** What came out of a queue: how often each item, and how many were wrong (stale, unknown, payload unseen). */
    static final class Tally {
        final int[] seen;
        int wrong;

        Tally(int items) {
            seen = new int[items + 1];
        }

        void record(Task t) {
            if (t == null) {
                return;
            }
            if (t.id < 1 || t.id >= seen.length) {
                wrong++; // an item from the set-up, or from nowhere
                return;
            }
            seen[t.id]++;
            if (t.payload != 100 + t.id) {
                wrong++;
            }
        }

        /** Takes and records what {@code q} still holds; returns how many came out. */
        int drain(SubmissionQueue<Task> q) {
            int n = 0;
            for (Task t = q.poll(); t != null; t = q.poll()) {
                record(t);
                n++;
            }
            return n;
        }

        /** r1, r2: how often items 1 and 2 came out; r3: wrong ones. */
        void report(III_Result r) {
            r.r1 = seen[1];
            r.r2 = seen[2];
            r.r3 = wrong;
        }
    }

    /**
     * One producer offers items 1 and 2 while the worker polls twice. r1, r2: how often 1 and 2 came out
     * (polls and the arbiter's drain together); r3: payloads not seen or stale items; r4: whether 2 came
     * out before 1 (FIFO broken).
     */
    @JCStressTest
    @Outcome(id = "1, 1, 0, 0", expect = ACCEPTABLE, desc = "each taken once, in order, payload visible")
    @Outcome(expect = FORBIDDEN, desc = "an item lost or taken twice, a payload not visible, or out of order")
    @State
    public static class ProducerVsConsumer {
        final SubmissionQueue<Task> q = wrappedQueue();
        final TwoPolls polled = new TwoPolls();

        @Actor
        public void producer() {
            offerOneThenTwo(q);
        }

        @Actor
        public void consumer() {
            polled.from(q);
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            Tally tally = new Tally(2);
            int order = 0;
            int last = 0;
            for (Task t : new Task[] {polled.first, polled.second, q.poll()}) {
                tally.record(t);
                if (t != null) {
                    order |= t.id < last ? 1 : 0;
                    last = t.id;
                }
            }
            tally.drain(q);
            r.r1 = tally.seen[1];
            r.r2 = tally.seen[2];
            r.r3 = tally.wrong;
            r.r4 = order;
        }
    }

    /**
     * Two producers offer two items each into a queue of two: exactly two offers succeed, and the
     * arbiter polls exactly those. r1: offers accepted; r2: items polled; r3: items polled that were not
     * accepted, polled twice, or with a payload not visible.
     */
    @JCStressTest
    @Outcome(id = "2, 2, 0", expect = ACCEPTABLE, desc = "full at two; exactly the accepted items came out")
    @Outcome(expect = FORBIDDEN, desc = "more or fewer than capacity accepted, or the wrong items came out")
    @State
    public static class TwoProducersAtCapacity {
        final SubmissionQueue<Task> q = wrappedQueue();
        final boolean[] accepted = new boolean[5];

        @Actor
        public void producer1() {
            accepted[1] = q.offer(offered(1));
            accepted[2] = q.offer(offered(2));
        }

        @Actor
        public void producer2() {
            accepted[3] = q.offer(offered(3));
            accepted[4] = q.offer(offered(4));
        }

        @Arbiter
        public void arbiter(III_Result r) {
            Tally tally = new Tally(4);
            int polled = tally.drain(q);
            int wrong = tally.wrong;
            int acceptedCount = 0;
            for (int i = 1; i <= 4; i++) {
                if (accepted[i]) {
                    acceptedCount++;
                }
                if (tally.seen[i] != (accepted[i] ? 1 : 0)) {
                    wrong++;
                }
            }
            r.r1 = acceptedCount;
            r.r2 = polled;
            r.r3 = wrong;
        }
    }

    /**
     * Two producers, one item each, against the consuming worker polling twice: the worker's inbox
     * as {@code submit} from two outside threads uses it. Needs three CPUs (jcstress does not schedule
     * it on two). r1, r2: how often items 1 and 2 came out; r3: payloads not visible or stale items.
     */
    @JCStressTest
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "each taken once, payload visible")
    @Outcome(expect = FORBIDDEN, desc = "an item lost or taken twice, or a payload not visible")
    @State
    public static class TwoProducersVsConsumer {
        final SubmissionQueue<Task> q = new SubmissionQueue<>(4);
        final TwoPolls polled = new TwoPolls();

        @Actor
        public void producer1() {
            q.offer(offered(1));
        }

        @Actor
        public void producer2() {
            q.offer(offered(2));
        }

        @Actor
        public void consumer() {
            polled.from(q);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            Tally tally = new Tally(2);
            tally.record(polled.first);
            tally.record(polled.second);
            tally.drain(q);
            tally.report(r);
        }
    }

    /**
     * A producer against {@code pollIf}, which {@code purgeStale} uses to drop finished items at the head
     * of a full inbox: the item tested is the item taken, and a refused head stays. The consumer takes
     * items whose id is odd. r1, r2: how often 1 and 2 came out; r3: payloads not visible.
     */
    @JCStressTest
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "each taken once")
    @Outcome(expect = FORBIDDEN, desc = "an item lost or taken twice, or a payload not visible")
    @State
    public static class ProducerVsPollIf {
        final SubmissionQueue<Task> q = wrappedQueue();
        Task taken;

        @Actor
        public void producer() {
            offerOneThenTwo(q);
        }

        @Actor
        public void consumer() {
            taken = q.pollIf(t -> (t.id & 1) == 1);
        }

        @Arbiter
        public void arbiter(III_Result r) {
            Tally tally = new Tally(2);
            tally.record(taken);
            if (taken != null && taken.id != 1) {
                tally.wrong++; // the test refused it
            }
            tally.drain(q);
            tally.report(r);
        }
    }
}
