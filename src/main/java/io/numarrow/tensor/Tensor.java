package io.numarrow.tensor;

import io.numarrow.Settings;
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
 * <p>Safe by default: every method checks that the tensor is open and that its data buffer was not
 * released behind its back (its vector or a batch's reader closed, the vector reallocated), and
 * throws {@link IllegalStateException} otherwise, instead of reading freed memory. The segment
 * {@link #segment()} hands out belongs to a shared arena of this tensor's own, made on the first
 * call, which {@link #close()} (or the first check that finds the buffer released) closes, so a
 * segment kept past close throws on use too. Kernels take {@link #liveSegment()} once per call
 * instead, which is that call's liveness check and costs no arena. Closing a tensor while a kernel
 * runs on it from another thread is as undefined as freeing memory under a native call.
 *
 * <p>The opt-out: a shared arena's close is a handshake with every thread of the JVM (tens of
 * microseconds on a busy machine, docs/safety.md), paid by tensors whose {@link #segment()} was
 * taken. {@code -Dnumarrow.tensor.unscoped=true} hands out unscoped segments instead; the checks
 * of every method stay, but a segment kept past close is then a dangling pointer.
 */
public final class Tensor implements AutoCloseable {
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final boolean UNSCOPED = Settings.tensorUnscoped();

    private final Float4Vector vector;
    private final int rows;
    private final int cols;
    private final boolean ownsVector;
    /** The data buffer the segment points into; its release makes this tensor unusable. */
    private final ArrowBuf buffer;
    /** The memory, unscoped: used only after a liveness check, never handed out but by {@link #liveSegment()}. */
    private final MemorySegment raw;
    /** Made by the first {@link #segment()} call; null before, for empty tensors, and with the opt-out. */
    private Arena arena;
    private volatile MemorySegment scoped;
    private volatile boolean closed;

    private Tensor(Float4Vector vector, int rows, int cols, boolean ownsVector) {
        this.vector = vector;
        this.rows = rows;
        this.cols = cols;
        this.ownsVector = ownsVector;
        this.buffer = vector.getDataBuffer();
        long bytes = (long) rows * cols * Float.BYTES;
        this.raw = bytes == 0 ? MemorySegment.NULL : MemorySegment.ofAddress(buffer.memoryAddress()).reinterpret(bytes);
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
        MemorySegment.copy(rowMajor, 0, t.raw, FLOAT, 0, count);
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
        return liveSegment().getAtIndex(FLOAT, (long) r * cols + c);
    }

    public void set(int r, int c, float value) {
        Objects.checkIndex(r, rows);
        Objects.checkIndex(c, cols);
        liveSegment().setAtIndex(FLOAT, (long) r * cols + c, value);
    }

    /** A row-major copy on the heap. */
    public float[] toArray() {
        MemorySegment live = liveSegment();
        float[] out = new float[Math.toIntExact(elementCount())];
        MemorySegment.copy(live, FLOAT, 0, out, 0, out.length);
        return out;
    }

    /** The Arrow vector whose data buffer holds this tensor. */
    public Float4Vector vector() {
        return vector;
    }

    /**
     * The tensor's bytes ({@code rows*cols*4}, native order), the same memory as {@link #vector()}, in
     * a segment that {@link #close()} invalidates: keep it as long as you like, a use after close
     * throws.
     *
     * @throws IllegalStateException when the tensor is closed or its data buffer was released
     */
    public MemorySegment segment() {
        checkLive();
        MemorySegment s = scoped;
        if (s == null) {
            s = makeScoped();
        }
        return s;
    }

    private synchronized MemorySegment makeScoped() {
        if (scoped == null) {
            checkLive();
            if (UNSCOPED || raw.byteSize() == 0) {
                scoped = raw;
            } else {
                arena = Arena.ofShared();
                scoped = raw.reinterpret(arena, null);
            }
        }
        return scoped;
    }

    /**
     * The tensor's bytes for the duration of one call: checks now that the tensor is open and its
     * buffer not released, and returns a segment with no scope of its own. For kernels and copies
     * that check once at entry and then run; do not keep it past the call ({@link #segment()} is the
     * one to keep).
     *
     * @throws IllegalStateException when the tensor is closed or its data buffer was released
     */
    public MemorySegment liveSegment() {
        checkLive();
        return raw;
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
