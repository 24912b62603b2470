package io.numarrow.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The class a row of scores predicts: the index of its largest entry. Ties go to the lowest index
 * ({@code -0.0} and {@code 0.0} are equal, as they compare); a row holding a NaN predicts nothing and
 * gives {@code -1}, as does a row of no columns. Two vectorized passes per row, the second finding the
 * maximum in the row the first left in cache; the result is exact, so every JIT tier gives the same one.
 * Like {@link Softmax}, whole vectors only, the row's last partial vector in scalar code.
 */
public final class RowArgmax {
    private static final VectorSpecies<Float> S = VectorExp.SPECIES;
    private static final int LANES = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;

    /** What {@link #of} gives for a row with no defined maximum (a NaN in it, or no columns). */
    public static final int NONE = -1;

    private RowArgmax() {
    }

    /**
     * For rows {@code [rowStart, rowEnd)} of {@code in} (row-major, {@code cols} floats each), writes
     * each row's class into {@code classes} (one int32 per row, row {@code r} at byte {@code 4r}).
     */
    public static void rows(MemorySegment in, int cols, int rowStart, int rowEnd, MemorySegment classes) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(classes, "classes");
        if (cols < 0 || rowStart < 0 || rowEnd < rowStart) {
            throw new IllegalArgumentException("bad argmax range: rows " + rowStart + ".." + rowEnd + " of " + cols + " columns");
        }
        long need = (long) rowEnd * cols * Float.BYTES;
        if (in.byteSize() < need || classes.byteSize() < (long) rowEnd * Integer.BYTES) {
            throw new IllegalArgumentException("argmax of rows up to " + rowEnd + " × " + cols + " needs " + need
                    + " bytes of input and " + (long) rowEnd * Integer.BYTES + " of output; they have "
                    + in.byteSize() + " and " + classes.byteSize());
        }
        long rowBytes = (long) cols * Float.BYTES;
        for (int r = rowStart; r < rowEnd; r++) {
            classes.set(I, (long) r * Integer.BYTES, of(in, r * rowBytes, cols));
        }
    }

    /** The class of the row of {@code cols} floats at byte {@code base} of {@code in}, or {@link #NONE}. */
    public static int of(MemorySegment in, long base, int cols) {
        float max = max(in, base, cols);
        if (Float.isNaN(max) || cols == 0) {
            return NONE;
        }
        return firstEqual(in, base, cols, max);
    }

    /** The row's maximum; NaN when it holds one (lane-wise max is {@link Math#max}, which keeps NaN). */
    static float max(MemorySegment in, long base, int cols) {
        int full = cols - cols % LANES;
        float max = Float.NEGATIVE_INFINITY;
        if (full > 0) {
            FloatVector m = FloatVector.fromMemorySegment(S, in, base, ORDER);
            for (int j = LANES; j < full; j += LANES) {
                // the loaded vector the receiver, not the running m, whose class C2 would know only from the
                // shared type profile (docs/design.md); max is the same either way round, NaN kept
                m = FloatVector.fromMemorySegment(S, in, base + (long) j * Float.BYTES, ORDER).max(m);
            }
            if (m.test(VectorOperators.IS_NAN).anyTrue()) {
                return Float.NaN;
            }
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (int j = full; j < cols; j++) {
            max = Math.max(max, in.get(F, base + (long) j * Float.BYTES));
        }
        return max;
    }

    /** The first index whose entry equals {@code max}, which the row holds. */
    private static int firstEqual(MemorySegment in, long base, int cols, float max) {
        int full = cols - cols % LANES;
        for (int j = 0; j < full; j += LANES) {
            int lane = FloatVector.fromMemorySegment(S, in, base + (long) j * Float.BYTES, ORDER).eq(max).firstTrue();
            if (lane < LANES) {
                return j + lane;
            }
        }
        for (int j = full; j < cols; j++) {
            if (in.get(F, base + (long) j * Float.BYTES) == max) {
                return j;
            }
        }
        return NONE; // not reached: max is one of the entries
    }
}
