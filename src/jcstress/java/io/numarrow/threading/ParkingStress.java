package io.numarrow.threading;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import org.openjdk.jcstress.infra.results.I_Result;

/**
 * A submit racing a worker on its way to park (the lost wake-up). Workers that never spin (spin time
 * zero) park as soon as they find no work, right when the next submit comes: the worker announces
 * its park and then looks at its queues once more, the submitter queues the task and then, after a
 * full fence ({@code signalIdle}), looks for parked workers; one of them sees the other. A task left
 * in an inbox with its worker asleep would never run, and its await would time out.
 *
 * <p>Each test shares one pool across all its samples (a pool per sample would start thousands of
 * threads); the pool's workers are daemon threads, gone with the jcstress fork. The await's timeout
 * only decides the forbidden outcome: a task runs within microseconds when nothing is lost.
 */
public final class ParkingStress {
    /** Long enough that only a stranded task reaches it, on a loaded machine too. */
    static final Duration STRANDED_AFTER = Duration.ofSeconds(10);

    private ParkingStress() {
    }

    static int submitAndAwait(ThreadPool pool) {
        WorkItem item = pool.submit(() -> { });
        try {
            item.await(STRANDED_AFTER);
            return 1;
        } catch (TimeoutException e) {
            return 0;
        } catch (Exception e) {
            return -1;
        }
    }

    /** One worker, no stealing: the submit must wake exactly the worker whose inbox took the task. */
    @JCStressTest
    @Outcome(id = "1", expect = ACCEPTABLE, desc = "the task ran")
    @Outcome(id = "0", expect = FORBIDDEN, desc = "stranded: queued while its only worker parked unwoken")
    @Outcome(expect = FORBIDDEN, desc = "the task failed or the pool refused it")
    @State
    public static class OneWorker {
        static final ThreadPool POOL = ThreadPool.init(ThreadPoolConfig.builder().numThreads(1)
                .enableWorkStealing(false).pinThreads(false).spinTime(Duration.ZERO).build());

        @Actor
        public void submitter(I_Result r) {
            r.r1 = submitAndAwait(POOL);
        }
    }

    /**
     * Two workers with stealing, two outside submitters: a submit may leave its task to a spinning
     * worker instead of waking the one whose inbox took it, so that spinner must not park without
     * seeing it.
     */
    @JCStressTest
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "both tasks ran")
    @Outcome(expect = FORBIDDEN, desc = "a task stranded (0), failed or refused (-1)")
    @State
    public static class TwoWorkersStealing {
        static final ThreadPool POOL = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2)
                .enableWorkStealing(true).pinThreads(false).spinTime(Duration.ZERO).build());

        @Actor
        public void submitter1(II_Result r) {
            r.r1 = submitAndAwait(POOL);
        }

        @Actor
        public void submitter2(II_Result r) {
            r.r2 = submitAndAwait(POOL);
        }
    }
}
