package io.numarrow.threading;

import io.numarrow.kernels.ScalarGemm;
import io.numarrow.kernels.Softmax;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReference;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link ParallelOps}' matmul while the Vector API kernels are not compiled yet ({@link KernelWarmup}):
 * the same tiles of rows on the same pool, each computed by {@link ScalarGemm}, which gives bitwise the
 * vector kernels' results. B is copied once per call into arrays every tile reads.
 */
final class BridgeGemm {
    private final VectorSpecies<Float> species;
    /** B's copy of the last call, kept for the next of the same shape: taken while in use. */
    private final AtomicReference<float[][]> copyOfB = new AtomicReference<>();
    private final AtomicReference<Tiles> tiles = new AtomicReference<>();
    private final ThreadPool pool;

    BridgeGemm(ThreadPool pool, VectorSpecies<Float> species) {
        this.pool = pool;
        this.species = species;
    }

    /** {@code c (=|+=) a·op(b) (+ bias)}, then softmax of each row if asked, in {@code tiles} tiles (1: inline). */
    void gemm(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k, boolean transposeB,
              MemorySegment bias, boolean accumulate, boolean softmax, int tileCount, int rowGroup) {
        float[][] bRows = ScalarGemm.copyB(b, k, n, transposeB, copyOfB.getAndSet(null));
        try {
            gemmRows(a, bRows, c, m, n, k, bias, accumulate, softmax, tileCount, rowGroup);
        } finally {
            if (!KernelWarmup.vectorKernelsReady()) {
                copyOfB.set(bRows); // kept for the next call, which is likely bridged too
            }
        }
    }

    /** {@link #gemm} with B already in rows, as {@link ScalarGemm#copyB} makes them (prepared weights keep theirs). */
    void gemmRows(MemorySegment a, float[][] bRows, MemorySegment c, int m, int n, int k,
                  MemorySegment bias, boolean accumulate, boolean softmax, int tileCount, int rowGroup) {
        int kc = ScalarGemm.kBlock(species);
        if (tileCount <= 1) {
            rows(a, bRows, c, m, n, k, kc, 0, m, bias, accumulate, softmax);
            return;
        }
        Tiles loop = tiles.getAndSet(null);
        if (loop == null) {
            loop = new Tiles(pool);
        }
        try {
            loop.a = a;
            loop.b = bRows;
            loop.c = c;
            loop.bias = bias;
            loop.m = m;
            loop.n = n;
            loop.k = k;
            loop.kc = kc;
            loop.rowGroup = rowGroup;
            loop.accumulate = accumulate;
            loop.softmax = softmax;
            loop.run(tileCount);
        } finally {
            loop.a = null;
            loop.b = null;
            loop.c = null;
            loop.bias = null;
            tiles.set(loop);
        }
    }

    private static void rows(MemorySegment a, float[][] b, MemorySegment c, int m, int n, int k, int kc, int rs, int re,
                             MemorySegment bias, boolean accumulate, boolean softmax) {
        ScalarGemm.rows(a, b, c, m, n, k, kc, rs, re, bias, accumulate);
        if (softmax) {
            Softmax.rows(c, c, n, rs, re);
        }
    }

    /** Whole row groups per tile, as {@link ParallelOps} cuts them. */
    private static final class Tiles extends TileLoop {
        MemorySegment a;
        float[][] b;
        MemorySegment c;
        MemorySegment bias;
        int m;
        int n;
        int k;
        int kc;
        int rowGroup;
        boolean accumulate;
        boolean softmax;

        Tiles(ThreadPool pool) {
            super(pool);
        }

        @Override
        protected void runTile(int tile, int tiles) {
            int groups = (m + rowGroup - 1) / rowGroup;
            int rs = (int) ((long) groups * tile / tiles) * rowGroup;
            int re = Math.min(m, (int) ((long) groups * (tile + 1) / tiles) * rowGroup);
            rows(a, b, c, m, n, k, kc, rs, re, bias, accumulate, softmax);
        }
    }
}
