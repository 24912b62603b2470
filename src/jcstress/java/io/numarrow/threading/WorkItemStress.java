package io.numarrow.threading;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Mode;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.Signal;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@link WorkItem}'s completion: what an awaiter sees of the task's writes, the waiter stack against
 * the completing thread, and run against cancel (what {@link ThreadPool#closeNow()} does to every
 * item not yet started). Items here belong to no pool, as the class allows.
 */
public final class WorkItemStress {
    private WorkItemStress() {
    }

    /** Waits for {@code item} and says how: 0 normally, 1 cancelled, 2 failed, 3 anything else. */
    static int awaitOutcome(WorkItem item) {
        try {
            item.await();
            return 0;
        } catch (CancellationException e) {
            return 1;
        } catch (ExecutionException e) {
            return e.getCause() instanceof IllegalStateException ? 2 : 3;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 3;
        }
    }

    /**
     * A task's plain writes are visible to a thread that sees the item done: complete()'s volatile
     * write of state publishes them. r1: whether the observer saw it done; r2: the task's field then.
     */
    @JCStressTest
    @Outcome(id = "1, 42", expect = ACCEPTABLE, desc = "done, and the task's write visible")
    @Outcome(id = "0, .*", expect = ACCEPTABLE_INTERESTING, desc = "not done yet")
    @Outcome(id = "1, 0", expect = FORBIDDEN, desc = "done, but the task's write not visible")
    @Outcome(expect = FORBIDDEN, desc = "something else")
    @State
    public static class CompletionPublishesWrites {
        int written;
        final WorkItem item = new WorkItem(() -> written = 42, null);

        @Actor
        public void worker() {
            item.run();
        }

        @Actor
        public void observer(II_Result r) {
            if (item.isDone()) {
                r.r1 = 1;
                r.r2 = written;
            } else {
                r.r2 = -1;
            }
        }
    }

    /**
     * The task's exception is visible with its completion (failure is written before state): an
     * observer that sees the item done sees it failed. r1: whether it saw it done; r2: whether failed.
     */
    @JCStressTest
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "done, and failed")
    @Outcome(id = "0, 0", expect = ACCEPTABLE_INTERESTING, desc = "not done yet")
    @Outcome(expect = FORBIDDEN, desc = "done but not failed: the failure was not visible")
    @State
    public static class CompletionPublishesFailure {
        final WorkItem item = new WorkItem(() -> {
            throw new IllegalStateException("task fails");
        }, null);

        @Actor
        public void worker() {
            item.run();
        }

        @Actor
        public void observer(II_Result r) {
            if (item.isDone()) {
                r.r1 = 1;
                r.r2 = item.isFailed() ? 1 : 0;
            }
        }
    }

    /**
     * The lost wake-up, checked without parking: a waiter pushes itself and then reads state; the
     * completing thread writes state and then reads the waiter stack (complete()'s comment: "one of us
     * sees the other"). The forbidden case is a waiter that registered, then saw the item not done (so
     * it would park), while the completer saw no waiter (so it would wake no one). r1: registered;
     * r2: the waiter saw it done after registering; r3: the completer took the waiter stack.
     */
    @JCStressTest
    @Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "registered before completion; the completer wakes it")
    @Outcome(id = "1, 1, 1", expect = ACCEPTABLE_INTERESTING, desc = "registered, then saw it done; woken too")
    @Outcome(id = "1, 1, 0", expect = ACCEPTABLE_INTERESTING, desc = "registered, then saw it done; needs no wake-up")
    @Outcome(id = "0, .*, .*", expect = ACCEPTABLE, desc = "refused: the completer had taken the stack already (needs another waiter first)")
    @Outcome(id = "1, 0, 0", expect = FORBIDDEN, desc = "lost wake-up: the waiter would park and no one would wake it")
    @Outcome(expect = FORBIDDEN, desc = "something else")
    @State
    public static class WaiterVsCompletion {
        final WorkItem item = new WorkItem(() -> { }, null);
        boolean registered;
        boolean sawDone;

        @Actor
        public void worker() {
            item.run();
        }

        @Actor
        public void waiter() {
            registered = item.pushWaiter();
            sawDone = item.isDone();
        }

        @Arbiter
        public void arbiter(III_Result r) {
            r.r1 = registered ? 1 : 0;
            r.r2 = sawDone ? 1 : 0;
            // pushWaiter refuses only once the completer has swapped the stack for its end marker
            r.r3 = item.pushWaiter() ? 0 : 1;
        }
    }

    /**
     * The same race with a real wait: a thread from outside the pool awaits (spins, then parks) while
     * another completes the item. It must always return.
     */
    @JCStressTest(Mode.Termination)
    @Outcome(id = "TERMINATED", expect = ACCEPTABLE, desc = "the awaiter returned")
    @Outcome(id = "STALE", expect = FORBIDDEN, desc = "the awaiter never woke: lost wake-up")
    @State
    public static class AwaitWakes {
        final WorkItem item = new WorkItem(() -> { }, null);

        @Actor
        public void awaiter() throws Exception {
            item.await();
        }

        @Signal
        public void complete() {
            item.run();
        }
    }

    /**
     * Run against cancel, as closeNow() cancels what has not started: which of the two won, and what
     * await then reports.
     */
    static final class CancelRace {
        final WorkItem item;
        boolean ran;
        boolean cancelled;

        CancelRace(Runnable task) {
            item = new WorkItem(task, null);
        }

        void run() {
            ran = item.run();
        }

        void cancel() {
            cancelled = item.cancel();
        }

        /** r1: run won; r2: cancel won; r3: await's outcome ({@link #awaitOutcome}). */
        void report(IIII_Result r) {
            r.r1 = ran ? 1 : 0;
            r.r2 = cancelled ? 1 : 0;
            r.r3 = awaitOutcome(item);
        }
    }

    /**
     * Run against cancel: exactly one wins, the task runs once or not at all, and await reports the
     * winner. r1: run won; r2: cancel won; r3: await's outcome (0 normal, 1 cancelled); r4: times the
     * task ran.
     */
    @JCStressTest
    @Outcome(id = "1, 0, 0, 1", expect = ACCEPTABLE, desc = "ran; await returns")
    @Outcome(id = "0, 1, 1, 0", expect = ACCEPTABLE_INTERESTING, desc = "cancelled first; await throws CancellationException")
    @Outcome(expect = FORBIDDEN, desc = "both or neither won, the task ran twice or after a cancel, or await misreports")
    @State
    public static class RunVsCancel {
        int runs;
        final CancelRace race = new CancelRace(() -> runs++);

        @Actor
        public void worker() {
            race.run();
        }

        @Actor
        public void closeNow() {
            race.cancel();
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            race.report(r);
            r.r4 = runs;
        }
    }

    /**
     * A failing task against cancel: exactly one of fail and cancel wins, and await reports it.
     * r1: run won; r2: cancel won; r3: await's outcome (1 cancelled, 2 failed); r4: whether isFailed.
     */
    @JCStressTest
    @Outcome(id = "1, 0, 2, 1", expect = ACCEPTABLE, desc = "ran and failed; await throws ExecutionException")
    @Outcome(id = "0, 1, 1, 0", expect = ACCEPTABLE_INTERESTING, desc = "cancelled first; await throws CancellationException")
    @Outcome(expect = FORBIDDEN, desc = "both or neither won, or await misreports")
    @State
    public static class FailVsCancel {
        final CancelRace race = new CancelRace(() -> {
            throw new IllegalStateException("task fails");
        });

        @Actor
        public void worker() {
            race.run();
        }

        @Actor
        public void closeNow() {
            race.cancel();
        }

        @Arbiter
        public void arbiter(IIII_Result r) {
            race.report(r);
            r.r4 = race.item.isFailed() ? 1 : 0;
        }
    }
}
