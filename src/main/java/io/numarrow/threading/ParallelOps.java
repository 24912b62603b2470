package io.numarrow.threading;

import io.numarrow.kernels.Matmul;
import io.numarrow.kernels.Softmax;
import io.numarrow.tensor.Tensor;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;

/**
 * Tensor operations split across a {@link ThreadPool}: rows of the left operand are cut into
 * tiles, one task per tile, each running a single-threaded kernel over its rows.
 *
 * <p>The {@code ...Into} forms write into a tensor the caller provides (such as an Arrow output
 * column), the others allocate the result from the given allocator.
 */
public final class ParallelOps {
    private final ThreadPool pool;

    public ParallelOps(ThreadPool pool) {
        this.pool = Objects.requireNonNull(pool, "pool");
    }

    public ThreadPool pool() {
        return pool;
    }

    /** {@code a[m×k] · b[k×n]} into a new {@code m×n} tensor from {@code allocator}. */
    public Tensor matmul(Tensor a, Tensor b, BufferAllocator allocator) {
        checkMatmulShapes(a, b);
        Tensor out = Tensor.allocate(allocator, a.rows(), b.cols());
        try {
            matmulInto(a, b, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /** {@code out = a · b}; {@code out} must be {@code a.rows() × b.cols()} and not alias a or b. */
    public void matmulInto(Tensor a, Tensor b, Tensor out) {
        checkMatmulShapes(a, b);
        checkShape(out, a.rows(), b.cols(), "matmul output");
        int k = a.cols();
        int n = b.cols();
        TileScheduler.forEachRowTile(pool, a.rows(), (long) k * n, (start, end) ->
                Matmul.rows(a.segment(), b.segment(), out.segment(), k, n, start, end));
    }

    /** Softmax of every row of {@code input} into a new tensor from {@code allocator}. */
    public Tensor softmax(Tensor input, BufferAllocator allocator) {
        Objects.requireNonNull(input, "input");
        Tensor out = Tensor.allocate(allocator, input.rows(), input.cols());
        try {
            softmaxInto(input, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /** {@code out = softmax(input)} row by row; {@code out} may be {@code input} (in place). */
    public void softmaxInto(Tensor input, Tensor out) {
        Objects.requireNonNull(input, "input");
        checkShape(out, input.rows(), input.cols(), "softmax output");
        int cols = input.cols();
        TileScheduler.forEachRowTile(pool, input.rows(), cols * 8L, (start, end) ->
                Softmax.rows(input.segment(), out.segment(), cols, start, end));
    }

    /** {@code softmax(a · b)} into a new tensor: the batch-feature job. */
    public Tensor matmulSoftmax(Tensor a, Tensor b, BufferAllocator allocator) {
        checkMatmulShapes(a, b);
        Tensor out = Tensor.allocate(allocator, a.rows(), b.cols());
        try {
            matmulSoftmaxInto(a, b, out);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /** {@code out = softmax(a · b)}, each tile normalised right after it is computed. */
    public void matmulSoftmaxInto(Tensor a, Tensor b, Tensor out) {
        checkMatmulShapes(a, b);
        checkShape(out, a.rows(), b.cols(), "matmul output");
        int k = a.cols();
        int n = b.cols();
        TileScheduler.forEachRowTile(pool, a.rows(), (long) k * n + n * 8L, (start, end) -> {
            Matmul.rows(a.segment(), b.segment(), out.segment(), k, n, start, end);
            Softmax.rows(out.segment(), out.segment(), n, start, end);
        });
    }

    private static void checkMatmulShapes(Tensor a, Tensor b) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(b, "b");
        if (a.cols() != b.rows()) {
            throw new IllegalArgumentException("matmul shapes do not fit: a is " + a.rows() + "×" + a.cols()
                    + ", b is " + b.rows() + "×" + b.cols() + " (a's columns must equal b's rows)");
        }
    }

    private static void checkShape(Tensor t, int rows, int cols, String what) {
        Objects.requireNonNull(t, what);
        if (t.rows() != rows || t.cols() != cols) {
            throw new IllegalArgumentException(what + " is " + t.rows() + "×" + t.cols()
                    + ", expected " + rows + "×" + cols);
        }
    }
}
