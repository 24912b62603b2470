package io.numarrow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import jdk.incubator.vector.FloatVector;

/**
 * A fixed set of small matmul and softmax calls, every kernel path among them (full, masked, short and
 * packed-A tiles, several K blocks, bias, accumulate, Bᵀ; short, split and in-place softmax rows),
 * reduced to one digest of their output bits. {@link ReproducibilityTest} runs it in child JVMs that
 * interpret, stop at C1, or reach C2, and compares the digests.
 *
 * <p>{@code main(rounds)} prints the digest after checking that {@code rounds} runs in one JVM (cold to
 * warm) gave the same one; it exits with status 1 if not.
 */
public final class ReproducibilityProbe {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private ReproducibilityProbe() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        long first = digest();
        for (int r = 1; r < rounds; r++) {
            long d = digest();
            if (d != first) {
                System.out.println("round " + r + " gave " + Long.toHexString(d) + ", round 0 " + Long.toHexString(first));
                System.exit(1);
            }
        }
        System.out.println("digest " + Long.toHexString(first));
    }

    /** The digest of every call's output bits. */
    static long digest() {
        long h = 17;
        // m, n, k, transposeB, bias, accumulate: the default tile's rows (8 on 512-bit vectors) over a
        // short and a masked edge, two K blocks;
        // a 4-row short tile read in place; packed A (65 panels of 512 bits); Bᵀ with a column edge
        int[][] shapes = {{11, 40, ContractReference.kc() + 9, 0, 1, 1}, {10, 33, 17, 0, 0, 0}, {4, 64, 64, 0, 1, 0},
                {7, 2049, 9, 0, 0, 1}, {5, 20, 30, 1, 1, 0}, {3, 5, 0, 0, 1, 1}};
        for (int[] s : shapes) {
            h = mix(h, gemm(s[0], s[1], s[2], s[3] == 1, s[4] == 1, s[5] == 1));
        }
        for (int cols : new int[]{1, 17, 100, 300}) {
            h = mix(h, softmax(5, cols));
        }
        return h;
    }

    private static long gemm(int m, int n, int k, boolean transposeB, boolean withBias, boolean accumulate) {
        Random rnd = new Random(m * 7919L + n * 31L + k);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = randomFloats(arena, rnd, m * k, 0);
            MemorySegment b = randomFloats(arena, rnd, k * n, 0);
            MemorySegment c = randomFloats(arena, rnd, m * n, 0);
            MemorySegment bias = withBias ? randomFloats(arena, rnd, n, 0) : null;
            Matmul.multiply(FloatVector.SPECIES_PREFERRED, a, b, c, m, n, k, transposeB, bias, accumulate);
            return bits(c, m * n);
        }
    }

    /** Out of place into an output one float past a vector boundary (rows of 128+ are split), then in place. */
    private static long softmax(int rows, int cols) {
        Random rnd = new Random(cols);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = randomFloats(arena, rnd, rows * cols, 0);
            in.setAtIndex(F, 0, Float.NEGATIVE_INFINITY);
            MemorySegment out = arena.allocate((long) rows * cols * Float.BYTES + 64, 64).asSlice(Float.BYTES);
            Softmax.rows(in, out, cols, 0, rows);
            Softmax.rows(in, in, cols, 0, rows);
            return mix(bits(out, rows * cols), bits(in, rows * cols));
        }
    }

    static MemorySegment randomFloats(Arena arena, Random rnd, int count, int shiftFloats) {
        MemorySegment s = arena.allocate((long) (count + 16) * Float.BYTES, 64)
                .asSlice((long) shiftFloats * Float.BYTES, (long) count * Float.BYTES);
        for (int i = 0; i < count; i++) {
            s.setAtIndex(F, i, (float) (rnd.nextDouble() * 8 - 4));
        }
        return s;
    }

    private static long bits(MemorySegment s, int count) {
        long h = 1;
        for (int i = 0; i < count; i++) {
            h = h * 31 + Float.floatToRawIntBits(s.getAtIndex(F, i));
        }
        return h;
    }

    private static long mix(long h, long v) {
        return (h ^ v) * 0x9E3779B97F4A7C15L;
    }
}
