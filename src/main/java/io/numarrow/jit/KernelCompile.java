package io.numarrow.jit;

import io.numarrow.Settings;
import io.numarrow.kernels.Matmul;
import io.numarrow.kernels.Softmax;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Gets the kernels a job runs compiled by C2 before its first batch, on the calling thread, once per JVM.
 *
 * <p>It runs the job's kernels (B packed once, then round after round the 6-row and 4-row register tiles
 * and, for a width that is not a whole number of panels, the masked tile, and softmax of the same rows)
 * on synthetic operands of the job's width and a short K, until a round runs at compiled speed. Under the
 * compile policy of {@code jvm.flags} ({@link CompilePolicy}) each kernel method is compiled after a few
 * dozen calls and the calling thread waits for its compiled code; the rounds go on until their speed
 * shows every kernel compiled (boxed code is 50-100 times slower: the threshold is far from both), so
 * whatever route the JIT takes (a C1 tier on the way, a recompile) the job's batches do not run boxed,
 * and its worker threads never compete with the compiler for the CPUs.
 *
 * <p>Why on the calling thread and small: a background warm-up is one more thread on the same cores and
 * the job cannot tell when it is done; the calling thread, before the workers start, has the machine to
 * itself (a program may start this on a thread of its own early, see {@code ParallelOps.startWarmup}, as
 * long as the first kernel call waits for it: it does, on this class's lock). A short K (16) keeps each
 * call's loop short, so the JIT compiles a kernel as a whole instead of compiling its running loop first
 * (on-stack replacement) and the method again later. The JVM's own classes that would otherwise load
 * later in the job (heap memory segments) are loaded first: a class loaded after a kernel is compiled can
 * invalidate its compiled code.
 *
 * <p>Given a way to start a thread ({@code KernelCompileStart} gives one), softmax's rounds run on a second
 * thread beside the matmul's (see {@link #besideEachOther}), so that C2's one thread is not left idle while
 * either runs boxed between two compiles.
 *
 * <p>With the policy the kernels skip C1 and C2 leaves the Vector API's fallbacks alone
 * ({@link KernelDirective}; {@code -Dnumarrow.kernels.skipC1=false} turns it off): each kernel goes from the
 * interpreter to C2 once, the thread does not wait for first-tier compiles of code that C2 replaces a few
 * dozen calls later, and C2's one thread compiles the kernels rather than the code boxed vectors run.
 *
 * <p>A JVM started to run one job (the CLI's) asks for more first ({@link #c2OnKernelsFirst()}): until the kernels are
 * compiled, C2 compiles nothing else.
 *
 * <p>Without the policy (a JVM started without {@code jvm.flags}' lines, {@code -Xint}, C1 only) this
 * does nothing: the kernels then compile while the job runs, as they would anyway.
 */
public final class KernelCompile {
    /** Rounds at least. */
    static final int MIN_ROUNDS = 10;
    /**
     * Rounds in a row at compiled speed before it returns. Compiled rounds cost microseconds; the margin
     * gives the kernels' small outer methods, which run fast enough at C1 and reach C2 only after a few
     * hundred calls, their C2 compile here rather than in the job's first batch.
     */
    static final int FAST_ROUNDS_NEEDED = 60;
    /** Past this the warm-up gives up (a starved or C2-less JVM): the kernels compile as the job runs. */
    static final long DEADLINE_NANOS = 10_000_000_000L;
    /**
     * Compiled speed, per round of the synthetic shape, far below what compiled kernels do on it (tens of
     * GFLOPS, a billion softmax elements a second) and far above boxed code (under half a GFLOPS, a few
     * million elements a second).
     */
    static final double FAST_GFLOPS = 3;
    static final double FAST_ELEMENTS_PER_SECOND = 100e6;
    /** K of the synthetic multiply (see the class comment). */
    static final int WARM_K = 16;
    /**
     * Once the kernels run compiled, the matmul goes on at the job's K, up to this, until it is fast again: the
     * packing of A, compiled for the short K's one-vector rows, is thrown away (an uncommon trap) and compiled
     * again the first time its rows are long; this has that happen here rather than in the job's first batch.
     * Compiled tiles do not go back to on-stack replacement for the longer loop.
     */
    static final int JOB_K = 256;
    /**
     * Narrower jobs are warmed at this width first. C2 turns a kernel's Vector API calls into vector
     * instructions only where it knows each vector's class, partly from the type profiles of the Vector
     * API's own methods; those exist only once such a method has run a few hundred times. Narrow rows
     * call them too few times before the policy compiles softmax's kernels, and a kernel compiled then
     * was seen keeping calls into the boxing code for good (docs/performance.md, "Warm-up and the JIT hazard").
     */
    static final int PROFILE_WIDTH = 256;
    /** Columns above this are warmed with a width that has the same edges (see {@link #warmWidth}). */
    static final int MAX_WARM_WIDTH = 4096;

    /** Null when the tiles skip C1 ({@link KernelDirective}), else why not; set when a warm-up starts. */
    private static volatile String directiveNote = "no warm-up ran";

    /** Whether {@link #c2OnKernelsFirst} was asked (guarded by the class's lock). */
    private static boolean kernelsFirst;

    /** Whether {@link #prepare} ran (guarded by the class's lock). */
    private static boolean prepared;

    /** Set once, when the first warm-up returns: later calls read it without taking the lock. */
    private static volatile Result result;

    /**
     * What the warm-up did.
     *
     * @param ran               whether it ran (false: the policy is not active, see {@code note})
     * @param compiled          whether it ended with the kernels at compiled speed
     * @param startUptimeMillis JVM uptime when it started
     * @param endUptimeMillis   JVM uptime when it returned
     * @param rounds            the rounds it ran
     * @param note              null when the kernels were compiled, else why not
     */
    public record Result(boolean ran, boolean compiled, long startUptimeMillis, long endUptimeMillis, int rounds,
                         String note) {
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
    public static Result compile(int k, int n, boolean matmul, boolean softmax) {
        return compile(k, n, matmul, softmax, null);
    }

    /**
     * The same, with softmax's rounds on a thread of their own beside the matmul's when {@code beside} is
     * given: it starts a thread running the task it is given and returns it (threads start in
     * {@code threading}: {@code KernelCompileStart} has one); the warm-up joins it before it returns.
     * Null: one thread.
     */
    public static Result compile(int k, int n, boolean matmul, boolean softmax, Function<Runnable, Thread> beside) {
        Result r = result;
        return r != null ? r : compileOnce(k, n, matmul, softmax, beside);
    }

    private static synchronized Result compileOnce(int k, int n, boolean matmul, boolean softmax,
                                                   Function<Runnable, Thread> beside) {
        if (result == null) {
            result = run(k, n, matmul, softmax, beside);
        }
        return result;
    }

    /** Null when the kernels skipped C1 (a compiler directive, {@link KernelDirective}), else why not. */
    public static String c1Note() {
        return directiveNote;
    }

    /** What this JVM's warm-up did, or null if none was asked for. */
    public static Result result() {
        return result;
    }

    /**
     * The part of the warm-up that makes no logger and needs no operands: the policy read, the compiler
     * directive added, the JDK's late classes and the Vector API's loaded. Once per JVM; {@link #compile}
     * does it first if nobody did. A thread started before the logging library may run it (nothing here may
     * make an slf4j logger: KernelCompileTest checks that no slf4j class loads).
     */
    public static synchronized void prepare() {
        if (prepared) {
            return;
        }
        prepared = true;
        if (!CompilePolicy.active()) {
            directiveNote = CompilePolicy.whyNot();
            return;
        }
        directiveNote = KernelDirective.add();
        loadLateClasses();
        FloatVector.SPECIES_PREFERRED.length();
    }

    /**
     * Asks that, in this JVM, C2 compile nothing but the kernels until they are compiled ({@link
     * KernelDirective#addKernelsFirst()}): for a JVM started to run one job and exit, as the CLI's {@code compute} and
     * {@code demo} are. Not for a long-lived JVM: the code that gets hot meanwhile keeps C1's code for good. Takes
     * effect if asked before the first warm-up starts, under the policy, unless {@code -Dnumarrow.kernels.c2First=false}.
     */
    public static synchronized void c2OnKernelsFirst() {
        kernelsFirst = true;
    }

    private static Result run(int k, int n, boolean matmul, boolean softmax, Function<Runnable, Thread> beside) {
        long start = uptime();
        prepare();
        if (!CompilePolicy.active()) {
            return new Result(false, false, start, start, 0, CompilePolicy.whyNot());
        }
        boolean alone = kernelsFirst && Settings.kernelsC2First() && KernelDirective.addKernelsFirst();
        try {
            return warm(start, k, n, matmul, softmax, beside);
        } finally {
            if (alone) {
                KernelDirective.dropKernelsFirst();
            }
        }
    }

    private static Result warm(long start, int k, int n, boolean matmul, boolean softmax, Function<Runnable, Thread> beside) {
        if (directiveNote == null) {
            // the tall tiles compile without C1 now, so they may be chosen; here, not in prepare: TileChoice makes a logger
            Matmul.tilesSkipFirstTier();
        }
        int cols = warmWidth(Math.max(n, 1));
        int depth = Math.max(1, Math.min(k, WARM_K));
        long deadline = System.nanoTime() + DEADLINE_NANOS;
        int rounds = 0;
        boolean compiled = true;
        if (cols < PROFILE_WIDTH) {
            Rounds profile = new Rounds(depth, PROFILE_WIDTH, matmul, softmax);
            compiled = profile.untilFast(deadline);
            rounds += profile.done;
        }
        List<Rounds> here = new ArrayList<>();
        Rounds there = null;
        if (matmul && softmax && beside != null) {
            here.add(new Rounds(depth, cols, true, false));
            there = new Rounds(depth, cols, false, true);
        } else {
            here.add(new Rounds(depth, cols, matmul, softmax));
        }
        int jobDepth = Math.max(1, Math.min(k, JOB_K));
        if (matmul && jobDepth > depth) {
            here.add(new Rounds(jobDepth, cols, true, false));
        }
        compiled &= besideEachOther(here, there, beside, deadline);
        for (Rounds r : here) {
            rounds += r.done;
        }
        return new Result(true, compiled, start, uptime(), rounds,
                compiled ? null : "not at compiled speed after " + DEADLINE_NANOS / 1_000_000_000 + " s");
    }

    /**
     * Runs {@code tiles}' rounds on this thread and {@code rows}' on the thread {@code beside} starts until both are fast or
     * the deadline passes; returns whether both were. Why two threads: C2 has one thread here and compiles
     * one kernel at a time, and each warm-up thread waits for the compile its calls asked for; between two
     * compiles a single thread runs its kernels boxed, interpreted, until the next one's threshold, while C2
     * has no kernel to compile. With the matmul's rounds and softmax's on threads of their own, one runs
     * boxed while C2 compiles the other's kernel (docs/performance.md, session 11).
     */
    private static boolean besideEachOther(List<Rounds> tiles, Rounds rows, Function<Runnable, Thread> beside,
                                           long deadline) {
        if (rows == null) {
            return allFast(tiles, deadline);
        }
        boolean[] rowsFast = new boolean[1];
        Throwable[] failed = new Throwable[1];
        Thread other = beside.apply(() -> {
            try {
                rowsFast[0] = rows.untilFast(deadline);
            } catch (RuntimeException | Error e) { // thrown here as it would have been on one thread
                failed[0] = e;
            }
        });
        boolean tilesFast = allFast(tiles, deadline);
        boolean interrupted = false;
        while (true) {
            try {
                other.join(); // the rounds end by the deadline; the result needs the other thread's verdict
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failed[0] instanceof RuntimeException e) {
            throw e;
        }
        if (failed[0] instanceof Error e) {
            throw e;
        }
        return tilesFast && rowsFast[0];
    }

    private static boolean allFast(List<Rounds> rounds, long deadline) {
        boolean fast = true;
        for (Rounds r : rounds) {
            fast &= r.untilFast(deadline);
        }
        return fast;
    }

    /** The kernels on synthetic {@code 16×depth · depth×cols} operands, round after round. */
    private static final class Rounds {
        private final int rows;
        private final int cols;
        private final int depth;
        private final boolean matmul;
        private final boolean softmax;
        int done;

        Rounds(int depth, int cols, boolean matmul, boolean softmax) {
            this.rows = 2 * Matmul.rowGroup(FloatVector.SPECIES_PREFERRED) + 4; // two full row groups and a 4-row edge
            this.cols = cols;
            this.depth = depth;
            this.matmul = matmul;
            this.softmax = softmax;
        }

        /** Runs rounds until {@link #FAST_ROUNDS_NEEDED} in a row are fast (true) or the deadline passes (false). */
        boolean untilFast(long deadline) {
            VectorSpecies<Float> species = FloatVector.SPECIES_PREFERRED;
            double flops = 2.0 * rows * cols * depth;
            double elements = (double) rows * cols;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment a = filled(arena, (long) rows * depth, 1);
                MemorySegment b = filled(arena, (long) depth * cols, 2);
                MemorySegment c = unscoped(arena.allocate((long) rows * cols * Float.BYTES, 64));
                MemorySegment packed = unscoped(arena.allocate(Matmul.packedBBytes(species, depth, cols), 64));
                // packed once, as a job packs its weights once (packing is outside the policy: run once, it is cheap boxed)
                Matmul.packB(species, b, depth, cols, false, packed, 0, Matmul.panelCount(species, cols));
                if (!matmul) {
                    c.copyFrom(filled(arena, (long) rows * cols, 3));
                }
                int fast = 0;
                while (fast < FAST_ROUNDS_NEEDED || done < MIN_ROUNDS) {
                    if (System.nanoTime() > deadline) {
                        return false;
                    }
                    long t0 = System.nanoTime();
                    if (matmul) {
                        Matmul.multiplyPacked(species, packed, a, c, rows, cols, depth, 0, rows, null, false);
                    }
                    long t1 = System.nanoTime();
                    if (softmax) {
                        Softmax.rows(c, c, cols, 0, rows);
                    }
                    long t2 = System.nanoTime();
                    done++;
                    boolean ok = (!matmul || flops / Math.max(1, t1 - t0) >= FAST_GFLOPS)
                            && (!softmax || elements / Math.max(1, t2 - t1) * 1e9 >= FAST_ELEMENTS_PER_SECOND);
                    fast = ok ? fast + 1 : 0;
                }
                return true;
            }
        }
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
        return unscoped(s);
    }

    /**
     * {@code s} with no scope of its own, as the kernels get a tensor's memory ({@code Tensor.liveSegment()}):
     * C2 compiles the kernels' segment checks from what the warm-up's calls saw, and a kernel that had only
     * seen a confined arena's segments trapped on a job's first batch and was compiled again during it.
     */
    private static MemorySegment unscoped(MemorySegment s) {
        return MemorySegment.ofAddress(s.address()).reinterpret(s.byteSize());
    }

    private static long uptime() {
        return ManagementFactory.getRuntimeMXBean().getUptime();
    }
}
