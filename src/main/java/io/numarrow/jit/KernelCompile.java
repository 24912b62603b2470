package io.numarrow.jit;

import io.numarrow.kernels.Matmul;
import io.numarrow.kernels.Softmax;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Gets the kernels a job runs compiled by C2 before its first batch, on the calling thread, once per JVM.
 *
 * <p>It runs the job's kernels (B packed once, then a few dozen times the 6-row and 4-row register tiles
 * and, for a width that is not a whole number of panels, the masked tile, and softmax of the same rows)
 * on synthetic operands of the job's width and a short K. Under the compile policy of {@code jvm.flags}
 * ({@link CompilePolicy}) each kernel method is compiled after a few of those calls and the calling
 * thread waits for its compiled code, so when this returns the kernels are compiled: the job's batches
 * never run them boxed, and its worker threads never compete with the compiler for the CPUs.
 *
 * <p>Why on the calling thread and small: a background warm-up is one more thread on the same cores
 * and the job cannot tell when it is done; the calling thread, before the workers start, has the machine
 * to itself. A short K (16) keeps each call's loop short, so the JIT compiles a kernel as a whole after a
 * few calls instead of compiling its running loop first (on-stack replacement) and the method again
 * later. The JVM's own classes that would otherwise load later in the job (heap memory segments) are
 * loaded first: a class loaded after a kernel is compiled can invalidate its compiled code.
 *
 * <p>Without the policy (a JVM started without {@code jvm.flags}' lines, {@code -Xint}, C1 only) this
 * does nothing: the kernels then compile while the job runs, as they would anyway.
 */
public final class KernelCompile {
    /** Rounds of calls: the policy compiles each kernel within the first ten; the rest is margin. */
    static final int ROUNDS = 40;
    /** K of the synthetic multiply (see the class comment). */
    static final int WARM_K = 16;
    /** Columns above this are warmed with a width that has the same edges (see {@link #warmWidth}). */
    static final int MAX_WARM_WIDTH = 4096;

    private static Result result;

    /**
     * What the warm-up did.
     *
     * @param ran               whether it ran (false: the policy is not active, see {@code note})
     * @param startUptimeMillis JVM uptime when it started
     * @param endUptimeMillis   JVM uptime when the kernels were compiled (when it returned)
     * @param note              null when it ran, else why it did not
     */
    public record Result(boolean ran, long startUptimeMillis, long endUptimeMillis, String note) {
        public long millis() {
            return endUptimeMillis - startUptimeMillis;
        }
    }

    private KernelCompile() {
    }

    /**
     * Compiles the kernels of a matmul by a {@code k×n} weight matrix followed (or not) by softmax of its
     * rows (or softmax alone of {@code n}-wide rows: {@code matmul} false), unless this JVM did it already:
     * then returns at once. Concurrent callers wait for the first.
     */
    public static synchronized Result compile(int k, int n, boolean matmul, boolean softmax) {
        if (result == null) {
            result = run(k, n, matmul, softmax);
        }
        return result;
    }

    /** What this JVM's warm-up did, or null if none was asked for. */
    public static synchronized Result result() {
        return result;
    }

    private static Result run(int k, int n, boolean matmul, boolean softmax) {
        long start = uptime();
        if (!CompilePolicy.active()) {
            return new Result(false, start, start, CompilePolicy.whyNot());
        }
        loadLateClasses();
        VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED;
        int rows = 2 * Matmul.rowGroup(species) + 4; // two full row groups and a 4-row bottom edge
        int cols = warmWidth(Math.max(n, 1));
        int depth = Math.max(1, Math.min(k, WARM_K));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = filled(arena, (long) rows * depth, 1);
            MemorySegment b = filled(arena, (long) depth * cols, 2);
            MemorySegment c = arena.allocate((long) rows * cols * Float.BYTES, 64);
            MemorySegment packed = arena.allocate(Matmul.packedBBytes(species, depth, cols), 64);
            // packed once, as a job packs its weights once (packing is outside the policy: run once, it is cheap boxed)
            Matmul.packB(species, b, depth, cols, false, packed, 0, Matmul.panelCount(species, cols));
            if (!matmul) {
                c.copyFrom(filled(arena, (long) rows * cols, 3));
            }
            for (int round = 0; round < ROUNDS; round++) {
                if (matmul) {
                    Matmul.multiplyPacked(species, packed, a, c, rows, cols, depth, 0, rows, null, false);
                }
                if (softmax) {
                    Softmax.rows(c, c, cols, 0, rows);
                }
            }
        }
        return new Result(true, start, uptime(), null);
    }

    /**
     * The width to warm softmax and the column panels with: {@code n} itself up to
     * {@link #MAX_WARM_WIDTH}, above it a width with the same remainders against every vector and panel
     * width (the paths the kernels take depend on those), so a very wide job does not warm up on megabytes.
     */
    static int warmWidth(int n) {
        return n <= MAX_WARM_WIDTH ? n : MAX_WARM_WIDTH + n % 256;
    }

    /**
     * Loads the heap memory segment classes now. HotSpot compiles the kernels on the assumption that
     * the segment classes loaded so far are all there are; when Arrow or the JDK later makes the first
     * heap segment of a kind, that assumption fails and the compiled kernels are thrown away (seen:
     * {@code HeapMemorySegmentImpl$OfByte} loaded mid-job, the 6-row tile recompiled).
     */
    static void loadLateClasses() {
        MemorySegment.ofArray(new byte[1]);
        MemorySegment.ofArray(new short[1]);
        MemorySegment.ofArray(new char[1]);
        MemorySegment.ofArray(new int[1]);
        MemorySegment.ofArray(new float[1]);
        MemorySegment.ofArray(new long[1]);
        MemorySegment.ofArray(new double[1]);
    }

    private static MemorySegment filled(Arena arena, long floats, int seed) {
        // through a float[]: element writes to a segment are slow in the interpreter, where this runs
        float[] values = new float[Math.toIntExact(floats)];
        for (int i = 0; i < values.length; i++) {
            values[i] = ((i * 31 + seed * 17) % 23 - 11) / 16f; // small values of both signs, no NaN
        }
        MemorySegment s = arena.allocate(floats * Float.BYTES, 64);
        MemorySegment.copy(values, 0, s, ValueLayout.JAVA_FLOAT, 0, values.length);
        return s;
    }

    private static long uptime() {
        return ManagementFactory.getRuntimeMXBean().getUptime();
    }
}
