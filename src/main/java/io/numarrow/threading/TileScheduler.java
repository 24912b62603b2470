package io.numarrow.threading;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.function.IntUnaryOperator;

/**
 * Cuts a range of rows into tiles and runs them on a pool: a few tiles per worker so that uneven
 * tiles even out (idle workers steal the rest), the caller working on one itself and helping
 * while it waits; small problems run inline. The NUMA form hands each tile to a worker of the
 * node its memory is on.
 */
public final class TileScheduler {
    /** Below this much work (in multiply-adds or so) a problem runs on the calling thread. */
    static final long INLINE_COST = 1L << 16;
    /** Tiles per worker: enough to even out uneven tiles, few enough to keep the overhead small. */
    static final int TILES_PER_WORKER = 4;

    /** Work on rows {@code [start, end)}. */
    @FunctionalInterface
    public interface RowTask {
        void run(int start, int end);
    }

    private TileScheduler() {
    }

    /** Runs {@code task} over rows {@code [0, rows)} in tiles on {@code pool}; returns when all are done. */
    public static void forEachRowTile(ThreadPool pool, int rows, long costPerRow, RowTask task) {
        if (rows <= 0) {
            return;
        }
        int tiles = tileCount(pool, rows, costPerRow);
        if (tiles <= 1) {
            task.run(0, rows);
            return;
        }
        int tileRows = (rows + tiles - 1) / tiles;
        List<WorkItem> items = new ArrayList<>(tiles);
        RuntimeException failure = null;
        try {
            for (int start = tileRows; start < rows; start += tileRows) {
                int s = start;
                int e = Math.min(rows, start + tileRows);
                items.add(pool.submit(() -> task.run(s, e)));
            }
            task.run(0, Math.min(rows, tileRows));
        } catch (RuntimeException e) {
            failure = e; // still wait for the tiles already queued: they use the caller's buffers
        }
        awaitAll(pool, items, failure);
    }

    /**
     * As {@link #forEachRowTile(ThreadPool, int, long, RowTask)}, but the memory of row {@code r}
     * sits on NUMA node {@code nodeOfRow.applyAsInt(r)} (kernel id): tiles are cut where that node
     * changes, and each goes to the workers of its node; they get it first, others only steal it
     * when idle.
     * On a pool that is not NUMA-aware this is the plain form.
     */
    public static void forEachRowTile(ThreadPool pool, int rows, long costPerRow, IntUnaryOperator nodeOfRow,
                                      RowTask task) {
        if (!pool.numaAware || pool.topology().numNumaNodes() <= 1) {
            forEachRowTile(pool, rows, costPerRow, task);
            return;
        }
        if (rows <= 0) {
            return;
        }
        int tiles = tileCount(pool, rows, costPerRow);
        if (tiles <= 1) {
            task.run(0, rows);
            return;
        }
        int tileRows = (rows + tiles - 1) / tiles;
        List<WorkItem> items = new ArrayList<>(tiles);
        RuntimeException failure = null;
        try {
            for (int start = 0; start < rows; ) {
                int s = start;
                int node = nodeOfRow.applyAsInt(s);
                int e = s + 1;
                // a tile ends early where its memory moves to another node
                while (e < Math.min(rows, s + tileRows) && nodeOfRow.applyAsInt(e) == node) {
                    e++;
                }
                int end = e;
                items.add(pool.submitToNode(node, () -> task.run(s, end)));
                start = end;
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        awaitAll(pool, items, failure);
    }

    private static int tileCount(ThreadPool pool, int rows, long costPerRow) {
        int workers = pool.size();
        if (workers <= 1 || rows == 1 || costPerRow * rows < INLINE_COST) {
            return 1;
        }
        return Math.min(rows, workers * TILES_PER_WORKER);
    }

    /**
     * An outside caller that has done its own tile waits for the others spinning, for a while (see
     * {@link Spin#OUTSIDE_CALLER_SPIN_NANOS}). A tile no worker has started yet ends the spin: the caller
     * runs it itself in {@link ThreadPool#awaitHelping} rather than wait for it.
     */
    private static void spinWhileShort(List<WorkItem> items) {
        long start = System.nanoTime();
        long last = start;
        for (WorkItem item : items) {
            for (int i = 1; !item.isDone(); i++) {
                if (item.isNew()) {
                    return;
                }
                Thread.onSpinWait();
                if ((i & 63) == 0) {
                    // long tiles, or a CPU we take from the workers: park instead
                    last = Spin.check(null, start, Spin.OUTSIDE_CALLER_SPIN_NANOS, last);
                    if (last == Spin.STOP) {
                        return;
                    }
                }
            }
        }
    }

    private static void awaitAll(ThreadPool pool, List<WorkItem> items, RuntimeException earlier) {
        RuntimeException failure = earlier;
        boolean interrupted = false;
        if (Worker.current() == null) {
            spinWhileShort(items);
        }
        for (WorkItem item : items) {
            while (true) {
                try {
                    pool.awaitHelping(item);
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the tiles write into the caller's buffers: wait them out
                } catch (ExecutionException | CancellationException e) {
                    if (failure == null) {
                        Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
                        failure = cause instanceof RuntimeException re ? re
                                : new IllegalStateException("a tile failed: " + cause, cause);
                    }
                    break;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) {
            throw failure;
        }
    }
}
