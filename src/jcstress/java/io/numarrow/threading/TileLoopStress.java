package io.numarrow.threading;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * {@link TileLoop}: the caller and the helpers claim tiles from one counter; every tile runs exactly
 * once per run, and the caller sees every tile's (plain) writes when {@code run} returns. Tiles
 * count their runs in a plain array: a tile run twice, not at all, or whose write the caller cannot
 * see gives a count other than one. Two loops on one shared pool (two workers), so helpers of one
 * run race the other run's caller and helpers.
 */
public final class TileLoopStress {
    static final ThreadPool POOL = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).pinThreads(false)
            .spinTime(Duration.ofMillis(1)).build());

    private TileLoopStress() {
    }

    /** A loop whose tiles count their runs, plainly. */
    static final class CountingLoop extends TileLoop {
        final int[] runs;

        CountingLoop(int tiles) {
            super(POOL);
            runs = new int[tiles];
        }

        @Override
        protected void runTile(int tile, int tiles) {
            runs[tile]++;
        }

        /** Runs every tile and returns how many ran exactly once, as the caller sees the counts. */
        int runAndCount() {
            run(runs.length);
            int once = 0;
            for (int n : runs) {
                if (n == 1) {
                    once++;
                }
            }
            return once;
        }
    }

    /**
     * Two outside callers: one with no more tiles than workers (it works beside one helper), one with
     * more (it works beside one helper when its run is the only outside one in flight, else leaves them
     * to two helpers and waits, or claims unstarted helpers). r1, r2: tiles of each run that ran exactly
     * once.
     */
    @JCStressTest
    @Outcome(id = "2, 7", expect = ACCEPTABLE, desc = "every tile of both runs ran exactly once")
    @Outcome(expect = FORBIDDEN, desc = "a tile ran twice or not at all, or its write was not visible to the caller")
    @State
    public static class TwoOutsideCallers {
        final CountingLoop working = new CountingLoop(2);
        final CountingLoop waiting = new CountingLoop(7);

        @Actor
        public void workingCaller(II_Result r) {
            r.r1 = working.runAndCount();
        }

        @Actor
        public void waitingCaller(II_Result r) {
            r.r2 = waiting.runAndCount();
        }
    }

    /**
     * A loop run from a pool worker (a nested call: the worker works and runs its own queue while it
     * waits) against an outside caller's loop. r1: tiles of the nested run that ran exactly once; r2:
     * the outside run's.
     */
    @JCStressTest
    @Outcome(id = "5, 3", expect = ACCEPTABLE, desc = "every tile of both runs ran exactly once")
    @Outcome(expect = FORBIDDEN, desc = "a tile ran twice or not at all, or its write was not visible to the caller")
    @State
    public static class WorkerAndOutsideCaller {
        final CountingLoop nested = new CountingLoop(5);
        final CountingLoop outside = new CountingLoop(3);

        @Actor
        public void fromWorker(II_Result r) {
            int[] once = new int[1];
            POOL.submit(() -> once[0] = nested.runAndCount()).join();
            r.r1 = once[0];
        }

        @Actor
        public void fromOutside(II_Result r) {
            r.r2 = outside.runAndCount();
        }
    }
}
