package io.numarrow.threading;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * Cuts a range of rows into tiles and runs them on a pool: a few tiles per worker so that uneven
 * tiles even out, the caller working on one itself; small problems run inline.
 */
final class TileScheduler {
    /** Below this much work (in multiply-adds or so) a problem runs on the calling thread. */
    static final long INLINE_COST = 1L << 16;

    /** Work on rows {@code [start, end)}. */
    @FunctionalInterface
    interface RowTask {
        void run(int start, int end);
    }

    private TileScheduler() {
    }

    static void forEachRowTile(ThreadPool pool, int rows, long costPerRow, RowTask task) {
        if (rows == 0) {
            return;
        }
        int workers = pool.size();
        if (workers <= 1 || rows == 1 || costPerRow * rows < INLINE_COST) {
            task.run(0, rows);
            return;
        }
        int tiles = Math.min(rows, workers * 4);
        int tileRows = (rows + tiles - 1) / tiles;
        List<WorkItem> items = new ArrayList<>(tiles);
        for (int start = tileRows; start < rows; start += tileRows) {
            int s = start;
            int e = Math.min(rows, start + tileRows);
            items.add(pool.submit(() -> task.run(s, e)));
        }
        task.run(0, Math.min(rows, tileRows));
        awaitAll(items);
    }

    private static void awaitAll(List<WorkItem> items) {
        RuntimeException failure = null;
        for (WorkItem item : items) {
            try {
                item.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for tiles", e);
            } catch (ExecutionException e) {
                if (failure == null) {
                    failure = e.getCause() instanceof RuntimeException re ? re
                            : new IllegalStateException("a tile failed", e.getCause());
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
