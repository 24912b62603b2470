package io.numarrow.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.Settings;
import io.numarrow.tensor.Tensor;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Same input, same bits (docs/reproducibility.md): every kernel path against the contract written out in
 * scalar code ({@link ContractReference}), at every operand alignment, on pools of 1, 2, 3 and 8
 * threads over many runs, and in JVMs that interpret or stop at C1 against one that reaches C2.
 * Bit-for-bit: no tolerance.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ReproducibilityTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /**
     * m, n, k: full, masked, short (4-row) and packed-A tiles; one, two and three K blocks; k = 0; panels of one
     * vector's columns (the 8×32 tile's narrow twin, MicroKernel512Narrow).
     */
    private static final int[][] GEMM_SHAPES = {{1, 1, 1}, {15, 17, 255}, {17, 15, 1}, {6, 32, 512}, {10, 64, 64},
            {7, 33, 513}, {64, 64, 64}, {255, 70, 1100}, {1000, 17, 40}, {5, 2049, 70}, {3, 5, 0}, {1000, 16, 600}, {17, 3, 40}};

    @Test
    void matmulFollowsTheContractOnEveryPath() {
        for (int[] s : GEMM_SHAPES) {
            for (int variant = 0; variant < 4; variant++) {
                boolean transposeB = variant == 1;
                boolean bias = variant >= 2;
                boolean accumulate = variant == 3 || variant == 1;
                gemmAgainstContract(s[0], s[1], s[2], transposeB, bias, accumulate, 0, false);
                gemmAgainstContract(s[0], s[1], s[2], transposeB, bias, accumulate, 0, true);
            }
        }
    }

    /** Every tile the preferred width offers gives the contract's bits: the tuner may pick any of them. */
    @Test
    void matmulBitsDoNotDependOnTheTile() {
        TileShape before = TileChoice.chosen;
        try {
            for (TileShape tile : TileChoice.sameBits(TileChoice.preferred())) {
                TileChoice.chosen = tile;
                for (int[] s : GEMM_SHAPES) {
                    gemmAgainstContract(s[0], s[1], s[2], false, true, true, 0, false);
                    gemmAgainstContract(s[0], s[1], s[2], true, false, false, 0, true);
                }
            }
        } finally {
            TileChoice.chosen = before;
        }
    }

    /**
     * Every variant {@code numarrow tune} may choose (tile rows, row block {@code mc}) gives the contract's
     * bits, hence the default's, on odd shapes: rows 1, 15, 17, 255 and 1000 cross tiles and row blocks.
     * Every tile of the width is run, the tall ones too, which the tuner offers only under flags this
     * test JVM may lack.
     */
    @Test
    void matmulBitsDoNotDependOnTheTunersChoice() {
        assertTrue(TileChoice.sameBits(TileChoice.widthDefault()).containsAll(KernelTuner.candidates().stream()
                .map(KernelTuner.Candidate::tile).toList()));
        List<KernelTuner.Candidate> candidates = KernelTuner.candidates(TileChoice.sameBits(TileChoice.widthDefault()));
        assertTrue(candidates.getFirst().isDefault());
        assertTrue(candidates.size() >= 3, "the default, and at least a half and a double row block: " + candidates);
        int[][] shapes = {{1, 1, 1}, {15, 17, 255}, {17, 15, 1}, {255, 70, 1100}, {1000, 17, 40}, {1000, 255, 15},
                {1000, 64, 513}, {1000, 16, 513}, {255, 33, 1100}, {17, 16, 40}};
        for (KernelTuner.Candidate x : candidates) {
            // a row block a few tiles tall as well, so that 255 and 1000 rows cross several blocks
            GemmBlocking small = GemmBlocking.of(x.tile(), CacheSizes.current(), x.blocking().kc(), 2 * x.tile().mr);
            for (GemmBlocking blocking : List.of(x.blocking(), small)) {
                assertEquals(candidates.getFirst().blocking().kc(), blocking.kc(), "kc is never tuned: " + x.name());
                for (int[] s : shapes) {
                    packedGemmAgainstContract(x.tile(), blocking, s[0], s[1], s[2], true, true);
                    packedGemmAgainstContract(x.tile(), blocking, s[0], s[1], s[2], false, false);
                }
            }
        }
    }

    private static void packedGemmAgainstContract(TileShape tile, GemmBlocking blocking, int m, int n, int k,
                                                  boolean withBias, boolean accumulate) {
        Random rnd = new Random(m * 31L + n * 7L + k);
        float[] av = random(rnd, m * k);
        float[] bv = random(rnd, k * n);
        float[] biasv = withBias ? random(rnd, n) : null;
        float[] c0 = random(rnd, m * n);
        float[] want = ContractReference.gemm(av, bv, c0, biasv, m, n, k, false, accumulate);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = ShiftedSegments.copy(arena, av, 0);
            MemorySegment b = ShiftedSegments.copy(arena, bv, 3);
            MemorySegment c = ShiftedSegments.copy(arena, c0, 0);
            MemorySegment bias = biasv == null ? null : ShiftedSegments.copy(arena, biasv, 0);
            MemorySegment packed = arena.allocate(Math.max(64, Packing.packedBBytes(tile, k, n)), 64);
            Packing.packB(tile, blocking.kc(), b, k, n, false, packed, 0, Packing.panels(n, tile));
            Matmul.run(tile, blocking, packed, a, c, n, k, 0, m, bias, accumulate);
            assertBits(want, c, TileChoice.spec(tile) + " mc=" + blocking.mc() + ", " + m + "×" + k + "·" + k + "×" + n
                    + (withBias ? " +bias" : "") + (accumulate ? " +=" : ""));
        }
    }

    @Test
    void matmulBitsDoNotDependOnAlignment() {
        for (int shift = 1; shift < 16; shift++) {
            gemmAgainstContract(37, 70, 600, false, true, true, shift, false);
            gemmAgainstContract(64, 64, 64, false, false, false, shift, false);
        }
    }

    @ParameterizedTest(name = "cols={0}")
    @ValueSource(ints = {1, 2, 15, 16, 17, 31, 32, 33, 48, 64, 127, 128, 129, 255, 1000, 4096})
    void softmaxFollowsTheContractAtEveryAlignment(int cols) {
        int rows = 3;
        Random rnd = new Random(cols);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((rnd.nextDouble() * 2 - 1) * (i % 3 == 0 ? 80 : 5));
        }
        x[cols / 2] = Float.NEGATIVE_INFINITY;
        float[] want = ContractReference.softmax(x, rows, cols);
        ShiftedSegments.everyShift(x, (in, out, inShift, outShift) -> {
            Softmax.rows(in, out, cols, 0, rows);
            assertBits(want, out, "out of place, input " + inShift + " output " + outShift + " floats past 64 B");
            Softmax.rows(in, in, cols, 0, rows);
            assertBits(want, in, "in place, " + inShift + " floats past 64 B");
        });
    }

    /**
     * Short rows go through softmax's passes a block of rows at a time: many rows (blocks, a partial last
     * block, calls starting mid-block) with undefined rows among them (a NaN, +inf, all -inf) must give
     * the contract's bits, and each undefined row NaN without touching its neighbours.
     */
    @ParameterizedTest(name = "cols={0}")
    @ValueSource(ints = {1, 2, 15, 16, 17, 33, 64, 100, 127})
    void shortRowsFollowTheContractAcrossBlocks(int cols) {
        int rows = 2 * RowSum.BLOCK_ROWS + 7;
        Random rnd = new Random(cols * 13L);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((rnd.nextDouble() * 2 - 1) * (i % 5 == 0 ? 60 : 4));
        }
        x[3 * cols + cols / 2] = Float.NaN;
        x[RowSum.BLOCK_ROWS * cols] = Float.POSITIVE_INFINITY;
        Arrays.fill(x, (RowSum.BLOCK_ROWS + 1) * cols, (RowSum.BLOCK_ROWS + 2) * cols, Float.NEGATIVE_INFINITY);
        x[(rows - 1) * cols] = Float.NEGATIVE_INFINITY;
        float[] want = ContractReference.softmax(x, rows, cols);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate((long) x.length * Float.BYTES, 64);
            MemorySegment out = arena.allocate((long) x.length * Float.BYTES, 64);
            MemorySegment.copy(x, 0, in, ValueLayout.JAVA_FLOAT, 0, x.length);
            Softmax.rows(in, out, cols, 0, rows);
            assertBits(want, out, "one call of " + rows + " rows");
            out.fill((byte) 0);
            for (int[] range : new int[][]{{0, 5}, {5, 40}, {40, rows}}) {
                Softmax.rows(in, out, cols, range[0], range[1]);
            }
            assertBits(want, out, "three calls starting mid-block");
            Softmax.rows(in, in, cols, 0, rows);
            assertBits(want, in, "in place");
        }
    }

    /**
     * Finite entries whose sums overflow, {@code 3e38} twice and {@code -3e38} twice in one lane, have a
     * defined softmax: the maximum pass must not mistake the overflow for a NaN in the row.
     */
    @Test
    void hugeFiniteEntriesOfBothSignsAreNotANaN() {
        int lanes = VectorExp.SPECIES.length();
        for (int cols : new int[]{4 * lanes, 8 * lanes, 8 * lanes + 3}) {
            float[] x = new float[cols];
            for (int j = 0; j < cols; j++) {
                x[j] = (j / lanes) % 4 < 2 ? 3e38f : -3e38f;
            }
            float[] want = ContractReference.softmax(x, 1, cols);
            assertTrue(!Float.isNaN(want[0]), "the contract defines this row");
            ShiftedSegments.everyShift(x, (in, out, inShift, outShift) -> {
                Softmax.rows(in, out, cols, 0, 1);
                assertBits(want, out, cols + " columns, input " + inShift + " output " + outShift + " floats past 64 B");
            });
        }
    }

    /** Tiled and inline calls on pools of 1, 2, 3 and 8 threads, ten runs each: one set of bits. */
    @Test
    void parallelOpsGiveOneAnswerOnEveryPoolSizeAndRun() {
        int m = 1000;
        int n = 257;
        int k = 300;
        Random rnd = new Random(5);
        float[] av = random(rnd, m * k);
        float[] bv = random(rnd, k * n);
        float[] biasv = random(rnd, n);
        float[] gemmWant = ContractReference.gemm(av, bv, null, biasv, m, n, k, false, false);
        float[] softmaxWant = ContractReference.softmax(gemmWant, m, n);
        float[] fusedWant = ContractReference.softmax(ContractReference.gemm(av, bv, null, null, m, n, k, false, false), m, n);
        try (BufferAllocator allocator = new RootAllocator()) {
            for (int threads : new int[]{1, 2, 3, 8}) {
                ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(threads).build());
                try (Tensor a = Tensor.fromArray(allocator, m, k, av);
                     Tensor b = Tensor.fromArray(allocator, k, n, bv);
                     Tensor bias = Tensor.fromArray(allocator, 1, n, biasv);
                     Tensor c = Tensor.allocate(allocator, m, n);
                     Tensor y = Tensor.allocate(allocator, m, n)) {
                    ParallelOps ops = new ParallelOps(pool);
                    for (int run = 0; run < 10; run++) {
                        String what = threads + " threads, run " + run;
                        ops.gemmInto(a, b, false, bias, false, c);
                        assertArrayEquals(gemmWant, c.toArray(), "gemm, " + what);
                        ops.softmaxInto(c, y);
                        assertArrayEquals(softmaxWant, y.toArray(), "softmax, " + what);
                        ops.matmulSoftmaxInto(a, b, y);
                        assertArrayEquals(fusedWant, y.toArray(), "matmul+softmax, " + what);
                    }
                } finally {
                    pool.close();
                }
            }
        }
    }

    /**
     * A product tall enough that a pool of 1, 2 or 3 threads cuts its tiles at whole row blocks and one of 8
     * at row groups (ParallelOps.ROW_BLOCKS_PER_WORKER): every split gives the contract's bits, with a
     * ragged last block, a masked column edge and two K blocks.
     */
    @Test
    void rowBlockAndRowGroupTilesGiveTheSameBits() {
        int m = Matmul.rowBlock(FloatVector.SPECIES_PREFERRED) * 2 * 3 + 17;
        int n = 33;
        int k = ContractReference.kc() + 9;
        Random rnd = new Random(11);
        float[] av = random(rnd, m * k);
        float[] bv = random(rnd, k * n);
        float[] want = ContractReference.gemm(av, bv, null, null, m, n, k, false, false);
        try (BufferAllocator allocator = new RootAllocator();
             Tensor a = Tensor.fromArray(allocator, m, k, av);
             Tensor b = Tensor.fromArray(allocator, k, n, bv);
             Tensor c = Tensor.allocate(allocator, m, n)) {
            for (int threads : new int[]{1, 2, 3, 8}) {
                ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(threads).build());
                try {
                    ParallelOps ops = new ParallelOps(pool);
                    for (int run = 0; run < 2; run++) {
                        ops.matmulInto(a, b, c);
                        assertArrayEquals(want, c.toArray(), m + " rows, " + threads + " threads, run " + run);
                    }
                } finally {
                    pool.close();
                }
            }
        }
    }

    /**
     * The probe's digest in this JVM, in one that only interprets, one that stops at C1, and one that
     * runs the probe until C2 has compiled the kernels (and checks every round gave the same).
     */
    @Test
    void interpretedC1AndC2JvmsGiveTheSameBits() throws Exception {
        String here = "digest " + Long.toHexString(ReproducibilityProbe.digest());
        assertEquals(here, runProbe(List.of("-Xint"), 1), "interpreted JVM");
        assertEquals(here, runProbe(List.of("-XX:TieredStopAtLevel=1"), 3), "JVM stopped at C1");
        assertEquals(here, runProbe(List.of(), 2000), "cold to warm JVM, 2000 rounds");
    }

    private static String runProbe(List<String> flags, int rounds) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (!arg.startsWith("-agentlib") && !arg.startsWith("-javaagent") && !arg.startsWith("-Xrunjdwp")
                    && !arg.startsWith("-XX:TieredStopAtLevel") && !arg.equals("-Xint")) {
                command.add(arg);
            }
        }
        command.addAll(flags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), ReproducibilityProbe.class.getName(),
                Integer.toString(rounds)));
        // Output to a file, not a pipe, so that the wait bounds the test even if the probe hangs
        Path log = Files.createTempFile("numarrow-reproducibility-probe", ".log");
        try {
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!child.waitFor(120, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                throw new AssertionError("probe " + flags + " did not finish in 120 s");
            }
            List<String> lines = Files.readAllLines(log);
            assertEquals(0, child.exitValue(), flags + ": " + String.join("\n", lines));
            assertTrue(!lines.isEmpty(), flags + " printed nothing");
            return lines.getLast();
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static void gemmAgainstContract(int m, int n, int k, boolean transposeB, boolean withBias,
                                            boolean accumulate, int shift, boolean checked) {
        Random rnd = new Random(m * 31L + n * 7L + k + shift);
        float[] av = random(rnd, m * k);
        float[] bv = random(rnd, k * n);
        float[] biasv = withBias ? random(rnd, n) : null;
        float[] c0 = random(rnd, m * n);
        float[] want = ContractReference.gemm(av, bv, c0, biasv, m, n, k, transposeB, accumulate);
        String what = m + "×" + k + "·" + k + "×" + n + (transposeB ? " Bᵀ" : "") + (withBias ? " +bias" : "")
                + (accumulate ? " +=" : "") + (checked ? " checked" : "") + ", operands " + shift + " floats past 64 B";
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = ShiftedSegments.copy(arena, av, shift);
            MemorySegment b = ShiftedSegments.copy(arena, bv, (shift + 3) % 16);
            MemorySegment c = ShiftedSegments.copy(arena, c0, shift);
            MemorySegment bias = biasv == null ? null : ShiftedSegments.copy(arena, biasv, shift);
            Matmul.checkedAccess = checked;
            try {
                Matmul.multiply(FloatVector.SPECIES_PREFERRED, a, b, c, m, n, k, transposeB, bias, accumulate);
            } finally {
                Matmul.checkedAccess = Settings.kernelsChecked();
            }
            assertBits(want, c, what);
        }
    }

    private static void assertBits(float[] want, MemorySegment got, String what) {
        for (int i = 0; i < want.length; i++) {
            float g = got.getAtIndex(F, i);
            if (Float.floatToRawIntBits(g) != Float.floatToRawIntBits(want[i])) {
                throw new AssertionError(what + ": element " + i + " is " + g + " (0x" + Integer.toHexString(
                        Float.floatToRawIntBits(g)) + "), the contract gives " + want[i] + " (0x"
                        + Integer.toHexString(Float.floatToRawIntBits(want[i])) + ")");
            }
        }
    }

    private static float[] random(Random rnd, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return v;
    }
}
