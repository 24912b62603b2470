package io.numarrow.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BitVectorHelper;
import org.apache.arrow.vector.Float4Vector;

/**
 * A row-major {@code rows × cols} float32 matrix over the data buffer of an Arrow
 * {@link Float4Vector}. Kernels see it as a {@link MemorySegment} over the very same bytes.
 *
 * <p>A tensor made by {@link #allocate} or {@link #fromArray} owns its vector and frees it on
 * {@link #close()}; one made by {@link #wrap} is a view and leaves the vector to its owner.
 *
 * <p>Safe by default: the segment belongs to a shared arena of this tensor's own, which
 * {@link #close()} closes, so any later access through it (a kept {@link #segment()} included)
 * throws {@link IllegalStateException} instead of reading freed memory. A tensor also notices
 * when its data buffer is released behind its back (its vector or a batch's reader closed, the
 * vector reallocated): {@link #get}, {@link #set}, {@link #toArray} and {@link #segment()} then
 * close the arena and throw. Kernels take the segment once per call, which is that call's
 * liveness check. Closing a tensor while a kernel runs on it from another thread is as undefined
 * as freeing memory under a native call.
 *
 * <p>The opt-out, for code that makes very many tiny tensors: {@code -Dnumarrow.tensor.unscoped=true}
 * gives every tensor a global segment, as before, which saves the arena's open and close (a
 * shared arena's close is a handshake with every thread; docs/safety.md has the figures). The
 * release checks stay; a segment kept past close is then a dangling pointer.
 */
public final class Tensor implements AutoCloseable {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final boolean UNSCOPED = Boolean.getBoolean("numarrow.tensor.unscoped");

    private final Float4Vector vector;
    private final int rows;
    private final int cols;
    private final boolean ownsVector;
    /** The data buffer the segment points into; its release makes this tensor unusable. */
    private final ArrowBuf buffer;
    /** Null for empty tensors and with the opt-out. */
    private final Arena arena;
    private final MemorySegment segment;
    private volatile boolean closed;

    private Tensor(Float4Vector vector, int rows, int cols, boolean ownsVector) {
        this.vector = vector;
        this.rows = rows;
        this.cols = cols;
        this.ownsVector = ownsVector;
        this.buffer = vector.getDataBuffer();
        long bytes = (long) rows * cols * Float.BYTES;
        if (bytes == 0) {
            this.arena = null;
            this.segment = MemorySegment.NULL;
        } else {
            this.arena = UNSCOPED ? null : Arena.ofShared();
            MemorySegment raw = MemorySegment.ofAddress(buffer.memoryAddress());
            this.segment = arena == null ? raw.reinterpret(bytes) : raw.reinterpret(bytes, arena, null);
        }
    }

    /** A new tensor of zeros, every element valid. */
    public static Tensor allocate(BufferAllocator allocator, int rows, int cols) {
        Objects.requireNonNull(allocator, "allocator");
        int count = elementCount(rows, cols);
        Float4Vector vector = new Float4Vector("tensor", allocator);
        try {
            vector.allocateNew(count);
            vector.setValueCount(count);
            markAllValid(vector, count);
            vector.getDataBuffer().setZero(0, (long) count * Float.BYTES);
        } catch (RuntimeException e) {
            vector.close();
            throw e;
        }
        return new Tensor(vector, rows, cols, true);
    }

    /** A new tensor holding a copy of {@code rowMajor}, which must have {@code rows*cols} elements. */
    public static Tensor fromArray(BufferAllocator allocator, int rows, int cols, float[] rowMajor) {
        Objects.requireNonNull(rowMajor, "rowMajor");
        int count = elementCount(rows, cols);
        if (rowMajor.length != count) {
            throw new IllegalArgumentException("array of " + rowMajor.length + " floats cannot fill a "
                    + rows + "×" + cols + " tensor (needs " + count + ")");
        }
        Tensor t = allocate(allocator, rows, cols);
        MemorySegment.copy(rowMajor, 0, t.segment, FLOAT, 0, count);
        return t;
    }

    /**
     * A view of {@code vector}'s first {@code rows*cols} values as a row-major matrix, without
     * copying. Closing the view leaves the vector open.
     */
    public static Tensor wrap(Float4Vector vector, int rows, int cols) {
        Objects.requireNonNull(vector, "vector");
        int count = elementCount(rows, cols);
        if (count > 0 && vector.getDataBuffer().capacity() < (long) count * Float.BYTES) {
            throw new IllegalArgumentException("vector '" + vector.getName() + "' holds "
                    + vector.getDataBuffer().capacity() / Float.BYTES + " floats, too few for a "
                    + rows + "×" + cols + " tensor");
        }
        return new Tensor(vector, rows, cols, false);
    }

    /** Sets the validity bits of the first {@code count} values: tensor data has no nulls. */
    static void markAllValid(Float4Vector vector, int count) {
        setFirstBits(vector.getValidityBuffer(), count);
    }

    /** Sets the first {@code count} bits of a validity bitmap, whole bytes at a time. */
    static void setFirstBits(ArrowBuf validity, int count) {
        int fullBytes = count / 8;
        if (fullBytes > 0) {
            validity.setOne(0L, (long) fullBytes);
        }
        for (int i = fullBytes * 8; i < count; i++) {
            BitVectorHelper.setBit(validity, i);
        }
    }

    private static int elementCount(int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative tensor shape " + rows + "×" + cols);
        }
        long count = (long) rows * cols;
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor " + rows + "×" + cols
                    + " exceeds what one Arrow Float4Vector can index (2^31 floats)");
        }
        return (int) count;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public long elementCount() {
        return (long) rows * cols;
    }

    /** The element at row {@code r}, column {@code c}. */
    public float get(int r, int c) {
        Objects.checkIndex(r, rows);
        Objects.checkIndex(c, cols);
        return segment().getAtIndex(FLOAT, (long) r * cols + c);
    }

    public void set(int r, int c, float value) {
        Objects.checkIndex(r, rows);
        Objects.checkIndex(c, cols);
        segment().setAtIndex(FLOAT, (long) r * cols + c, value);
    }

    /** A row-major copy on the heap. */
    public float[] toArray() {
        MemorySegment live = segment();
        float[] out = new float[Math.toIntExact(elementCount())];
        MemorySegment.copy(live, FLOAT, 0, out, 0, out.length);
        return out;
    }

    /** The Arrow vector whose data buffer holds this tensor. */
    public Float4Vector vector() {
        return vector;
    }

    /**
     * The tensor's bytes ({@code rows*cols*4}, native order), the same memory as {@link #vector()}.
     *
     * @throws IllegalStateException when the tensor is closed or its data buffer was released
     */
    public MemorySegment segment() {
        checkLive();
        return segment;
    }

    /** Whether the tensor can still be used: not closed, and its data buffer not released. */
    public boolean isLive() {
        return !closed && buffer.refCnt() > 0;
    }

    private void checkLive() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
        if (buffer.refCnt() <= 0) {
            closeArena();
            throw new IllegalStateException(this + ": its data buffer was released (the vector '" + vector.getName()
                    + "', its batch's reader or its allocator was closed, or the vector was reallocated)");
        }
    }

    private synchronized void closeArena() {
        if (arena != null && arena.scope().isAlive()) {
            arena.close();
        }
    }

    /** Whether closing this tensor frees its vector (false for {@link #wrap} views). */
    public boolean ownsVector() {
        return ownsVector;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            closeArena(); // first: from here on every access through the segment throws
            if (ownsVector) {
                vector.close();
            }
        }
    }

    @Override
    public String toString() {
        return "Tensor[" + rows + "×" + cols + "]";
    }
}
