package io.numarrow.bench.matmul;

import io.numarrow.numa.NumaAllocator;
import io.numarrow.numa.NumaPolicy;
import io.numarrow.tensor.Tensor;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.bytedeco.javacpp.FloatPointer;
import org.ejml.data.FMatrixRMaj;

/**
 * Operands of one benchmark shape in Arrow memory (numarrow and OpenBLAS read the same bytes), with
 * heap copies for the baselines that need arrays (EJML, the scalar loop).
 */
final class MatmulFixture implements AutoCloseable {
    final int m;
    final int n;
    final int k;
    final int threads;
    final BufferAllocator allocator;
    final Tensor a;
    final Tensor b;
    final Tensor c;
    final ThreadPool pool;
    final ParallelOps ops;
    final FloatPointer pa;
    final FloatPointer pb;
    final FloatPointer pc;
    final float[] ah;
    final float[] bh;
    final float[] ch;
    final FMatrixRMaj ea;
    final FMatrixRMaj eb;
    final FMatrixRMaj ec;

    /** Operands in numarrow's own Arrow memory, as `compute` and the Spark transformer allocate it. */
    MatmulFixture(int m, int n, int k, String threadsParam) {
        this(m, n, k, threadsParam, NumaAllocator.root(NumaPolicy.LOCAL));
    }

    /**
     * @param threadsParam "all" or a number
     * @param allocator    where the operands live; its buffers' alignment matters (see
     *                     {@link BatchMatmulArrowMemoryBench})
     */
    MatmulFixture(int m, int n, int k, String threadsParam, BufferAllocator allocator) {
        this.allocator = allocator;
        this.m = m;
        this.n = n;
        this.k = k;
        this.threads = "all".equals(threadsParam) ? Runtime.getRuntime().availableProcessors()
                : Integer.parseInt(threadsParam);
        SplittableRandom rnd = new SplittableRandom(42);
        ah = random(rnd, m * k);
        bh = random(rnd, k * n);
        ch = new float[m * n];
        a = Tensor.fromArray(allocator, m, k, ah);
        b = Tensor.fromArray(allocator, k, n, bh);
        c = Tensor.allocate(allocator, m, n);
        pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(threads).build());
        ops = new ParallelOps(pool);
        pa = OpenBlas.over(a.segment());
        pb = OpenBlas.over(b.segment());
        pc = OpenBlas.over(c.segment());
        OpenBlas.setThreads(threads);
        OpenBlas.report(threads);
        ea = new FMatrixRMaj(m, k, true, ah);
        eb = new FMatrixRMaj(k, n, true, bh);
        ec = new FMatrixRMaj(m, n);
    }

    /** Naive {@code i, j, p} dot products: a float reduction the JIT keeps scalar. */
    void scalar() {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float s = 0;
                for (int p = 0; p < k; p++) {
                    s += ah[i * k + p] * bh[p * n + j];
                }
                ch[i * n + j] = s;
            }
        }
    }

    private static float[] random(SplittableRandom rnd, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return v;
    }

    @Override
    public void close() {
        pool.close();
        c.close();
        b.close();
        a.close();
        allocator.close();
    }
}
