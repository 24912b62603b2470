package io.numarrow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.Reference;
import io.numarrow.Settings;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Matmul} against a float64 reference: every element within {@code 1e-6·k·max|a|·max|b|}
 * (float32 rounding grows with k), for each vector width and for shapes that hit every edge case.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MatmulTest {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final List<VectorSpecies<Float>> ALL_WIDTHS =
            List.of(FloatVector.SPECIES_512, FloatVector.SPECIES_256, FloatVector.SPECIES_128);
    /**
     * The widths under test, from property {@code numarrow.test.widths}: {@code all} (the default),
     * {@code preferred} or {@code others}. The build runs the preferred width with every other test and
     * the other two in a JVM of their own (pom.xml): three widths in one JVM fill the JIT's type profiles
     * inside the shared Vector API methods ({@code FloatVector.fma} calling {@code lanewise}, ...) with
     * other vector classes, and a kernel that C2 compiled after that (softmax's exp pass, during
     * VectorExpTest) kept virtual calls into the Vector API's boxing fallbacks for the rest of the run.
     */
    private static final List<VectorSpecies<Float>> SPECIES = widths(System.getProperty("numarrow.test.widths", "all"));

    private static List<VectorSpecies<Float>> widths(String which) {
        VectorSpecies<Float> preferred = FloatVector.SPECIES_PREFERRED;
        return switch (which) {
            case "all" -> ALL_WIDTHS;
            case "preferred" -> List.of(preferred);
            case "others" -> ALL_WIDTHS.stream().filter(s -> !s.equals(preferred)).toList();
            default -> throw new IllegalArgumentException("numarrow.test.widths is all, preferred or others, not " + which);
        };
    }

    /** Random shapes in 1..300 per dimension, plus the edge sizes, for each species. */
    static Stream<Arguments> shapes() {
        Random rnd = new Random(20261127);
        List<Arguments> out = new ArrayList<>();
        int[] edges = {1, 15, 17, 255};
        for (VectorSpecies<Float> s : SPECIES) {
            for (int i = 0; i < 10; i++) {
                out.add(Arguments.of(s, 1 + rnd.nextInt(300), 1 + rnd.nextInt(300), 1 + rnd.nextInt(300)));
            }
            for (int e : edges) {
                out.add(Arguments.of(s, e, 1 + rnd.nextInt(300), 1 + rnd.nextInt(300)));
                out.add(Arguments.of(s, 1 + rnd.nextInt(300), e, 1 + rnd.nextInt(300)));
                out.add(Arguments.of(s, 1 + rnd.nextInt(300), 1 + rnd.nextInt(300), e));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
    @MethodSource("shapes")
    void matchesFloat64Reference(VectorSpecies<Float> species, int m, int n, int k) {
        check(species, m, n, k, false, false, false, m * 31L + n * 7L + k);
    }

    /**
     * The same shapes with every tile's accesses bounds-checked: the unchecked tiles that native memory
     * gets run the same index arithmetic, so an access out of bounds shows up here as an exception.
     */
    @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
    @MethodSource("shapes")
    void checkedAccessesStayInBounds(VectorSpecies<Float> species, int m, int n, int k) {
        withCheckedAccess(() -> {
            check(species, m, n, k, false, true, true, m * 31L + n * 7L + k);
            check(species, m, n, k, true, false, false, m * 13L + n * 5L + k);
        });
    }

    @Test
    void heapAndReadOnlySegmentsTakeTheCheckedPath() {
        int m = 13;
        int n = 32;
        int k = 9;
        Random rnd = new Random(3);
        float[] av = random(rnd, m * k);
        float[] bv = random(rnd, k * n);
        float[] cv = new float[m * n];
        Matmul.multiply(FloatVector.SPECIES_PREFERRED, MemorySegment.ofArray(av), MemorySegment.ofArray(bv),
                MemorySegment.ofArray(cv), m, n, k, false, null, false);
        assertClose(Reference.matmul(av, bv, null, null, m, n, k, false), MemorySegment.ofArray(cv), m, n, k, 1, 1);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment readOnly = arena.allocate((long) m * n * Float.BYTES).asReadOnly();
            assertThrows(UnsupportedOperationException.class, () -> Matmul.multiply(FloatVector.SPECIES_PREFERRED,
                    floats(arena, av), floats(arena, bv), readOnly, m, n, k, false, null, false));
        }
    }

    @Test
    void closedOrOtherThreadsMemoryIsRefusedBeforeAnyUncheckedAccess() throws Exception {
        int m = 7;
        int n = 16;
        int k = 5;
        Arena arena = Arena.ofConfined();
        MemorySegment a = arena.allocate((long) m * k * Float.BYTES);
        MemorySegment b = arena.allocate((long) k * n * Float.BYTES);
        MemorySegment c = arena.allocate((long) m * n * Float.BYTES);
        Throwable[] seen = new Throwable[1];
        Thread other = Thread.ofPlatform().start(() -> {
            try {
                Matmul.multiply(FloatVector.SPECIES_PREFERRED, a, b, c, m, n, k, false, null, false);
            } catch (Throwable e) {
                seen[0] = e;
            }
        });
        other.join();
        assertTrue(seen[0] instanceof WrongThreadException, "got " + seen[0]);
        arena.close();
        assertThrows(IllegalStateException.class,
                () -> Matmul.multiply(FloatVector.SPECIES_PREFERRED, a, b, c, m, n, k, false, null, false));
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3}")
    @MethodSource("shapes")
    void transposedBMatchesReference(VectorSpecies<Float> species, int m, int n, int k) {
        check(species, m, n, k, true, false, false, m * 13L + n * 5L + k);
    }

    @Test
    void biasAndAccumulateOnEveryWidth() {
        for (VectorSpecies<Float> s : SPECIES) {
            check(s, 37, 70, 300, false, true, false, 1);
            check(s, 37, 70, 300, false, false, true, 2);
            check(s, 50, 33, 129, true, true, true, 3);
            check(s, 17, 1, 1, false, true, true, 4);
        }
    }

    @Test
    void smallBWholePanelsWideIsReadInPlace() {
        // n a multiple of every panel width (8, 16, 32) and B under 64 KiB: the unpacked-B path.
        for (VectorSpecies<Float> s : SPECIES) {
            check(s, 37, 64, 100, false, false, false, 7);
            check(s, 13, 96, 170, false, true, true, 8);
            check(s, 64, 64, 64, false, false, false, 9);
            check(s, 5, 32, 1, false, true, false, 10);
        }
    }

    @Test
    void packedAPathOnEveryWidth() {
        // B at least 64 panels wide (plus a column edge) makes the kernel pack blocks of A: several full
        // row tiles run down each panel in one call, then the bottom edge; checked and unchecked
        for (VectorSpecies<Float> s : SPECIES) {
            int nr = 2 * s.length();
            check(s, 27, 64 * nr + 5, 40, false, false, false, 11);
            check(s, 24, 64 * nr, 33, false, true, true, 12);
            withCheckedAccess(() -> check(s, 27, 64 * nr + 5, 40, false, true, false, 13));
        }
    }

    /**
     * Every tile the preferred width offers (TileChoice), on the shapes of {@link #shapes()} and the
     * packed-A path, checked and unchecked: taller tiles have other bottom edges and other row blocks.
     */
    @Test
    void everyTileOfThePreferredWidthMatchesTheReference() {
        VectorSpecies<Float> s = FloatVector.SPECIES_PREFERRED;
        TileShape before = TileChoice.chosen;
        try {
            for (TileShape tile : TileChoice.sameBits(TileChoice.preferred())) {
                TileChoice.chosen = tile;
                for (int[] shape : new int[][]{{1, 1, 1}, {15, 17, 255}, {17, 15, 1}, {255, 64, 17}, {1000, 33, 300},
                        {tile.mr + 5, 2 * tile.nr, 70}, {2 * tile.mr - 1, tile.nr + 1, 1000}, {27, 64 * tile.nr + 5, 40}}) {
                    long seed = tile.mr * 1000L + shape[0] * 31L + shape[1] * 7L + shape[2];
                    check(s, shape[0], shape[1], shape[2], false, false, false, seed);
                    check(s, shape[0], shape[1], shape[2], true, true, true, seed + 1);
                    withCheckedAccess(() -> check(s, shape[0], shape[1], shape[2], false, true, false, seed + 2));
                }
            }
        } finally {
            TileChoice.chosen = before;
        }
    }

    /**
     * Panels with at most one vector of real columns (n 1, 2, 3, 15, 16, 17, 33: the last panel narrow) run on
     * the 32-wide 512-bit tiles' narrow twin: against the float64 reference, and bit for bit against the
     * masked tile it replaces (the same chains of fmas), on rows 1, 15, 17, 255 and 1000, one and two K
     * blocks, with bias and accumulation, checked and unchecked, for every 512-bit tile of 32 columns (the
     * 7- and 12-row ones leave rows after the last 16-row tile that start mid-group) and on every width (the
     * others never take the narrow path: their results must not move either).
     */
    @Test
    void narrowPanelsMatchTheReferenceAndTheMaskedTileBitForBit() {
        TileShape before = TileChoice.chosen;
        try {
            for (VectorSpecies<Float> s : SPECIES) {
                List<TileShape> tiles = s.equals(FloatVector.SPECIES_512) ? TileChoice.sameBits(TileShape.W512_8X32) : List.of(before);
                for (TileShape tile : tiles) {
                    TileChoice.chosen = tile;
                    // every shape on the default tile; on the others the rows that end mid-group, fewer widths
                    boolean all = tile == TileShape.W512_8X32 || tiles.size() == 1;
                    narrowPanelsOf(s, all ? new int[]{1, 15, 17, 255, 1000} : new int[]{17, 255, 1000},
                            all ? new int[]{1, 2, 3, 15, 16, 17, 33} : new int[]{3, 33}, all);
                }
                TileChoice.chosen = before;
            }
        } finally {
            TileChoice.chosen = before;
            Matmul.narrowTiles = true;
        }
    }

    private static void narrowPanelsOf(VectorSpecies<Float> s, int[] rows, int[] cols, boolean twoBlocks) {
        for (int m : rows) {
            for (int n : cols) {
                for (int k : twoBlocks ? new int[]{1, 40, ContractReference.kc() + 7} : new int[]{1, 40}) {
                    long seed = m * 1000L + n * 31L + k;
                    if (m < 1000 || k < 40) { // two K blocks on 1000 rows cost seconds and cross no new edge
                        narrowAgainstMasked(s, m, n, k, seed % 2 == 0, seed % 3 == 0, seed);
                    }
                    if (k <= 40) {
                        withCheckedAccess(() -> narrowAgainstMasked(s, m, n, k, true, seed % 2 == 0, seed + 1));
                    }
                }
            }
        }
    }

    private static void narrowAgainstMasked(VectorSpecies<Float> species, int m, int n, int k, boolean withBias,
                                            boolean accumulate, long seed) {
        Random rnd = new Random(seed);
        float[] av = random(rnd, m * k);
        float[] bv = random(rnd, k * n);
        float[] bias = withBias ? random(rnd, n) : null;
        float[] c0 = random(rnd, m * n);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = floats(arena, av);
            MemorySegment b = floats(arena, bv);
            MemorySegment narrow = floats(arena, c0);
            MemorySegment masked = floats(arena, c0);
            MemorySegment biasSeg = bias != null ? floats(arena, bias) : null;
            MemorySegment packed = arena.allocate(Matmul.packedBBytes(species, k, n), 64);
            Matmul.packB(species, b, k, n, false, packed, 0, Matmul.panelCount(species, n));
            Matmul.narrowTiles = true;
            Matmul.multiplyPacked(species, packed, a, narrow, m, n, k, 0, m, biasSeg, accumulate);
            Matmul.narrowTiles = false;
            Matmul.multiplyPacked(species, packed, a, masked, m, n, k, 0, m, biasSeg, accumulate);
            Matmul.narrowTiles = true;
            assertClose(Reference.matmul(av, bv, bias, accumulate ? c0 : null, m, n, k, false), narrow, m, n, k, 1, 1);
            assertEquals(-1, narrow.mismatch(masked), species + " " + m + "×" + k + "·" + k + "×" + n
                    + ": the narrow tile's bits differ from the masked " + TileChoice.spec(TileChoice.chosen) + " tile's");
        }
    }

    /**
     * Small products whose B is whole panels read A and B in place (Matmul's direct path), with every
     * bottom edge: full tiles, short tiles and the rows between; checked and unchecked.
     */
    @Test
    void smallProductsReadInPlaceOnEveryWidth() {
        for (VectorSpecies<Float> s : SPECIES) {
            int nr = 2 * s.length();
            for (int m : new int[]{1, 3, 5, 6, 7, 11, 13, 64}) {
                for (int n : new int[]{nr, 2 * nr, 3 * nr}) {
                    for (int k : new int[]{1, 17, 64}) {
                        long seed = m * 1000L + n * 10L + k;
                        check(s, m, n, k, false, false, false, seed);
                        check(s, m, n, k, false, true, true, seed + 1);
                        withCheckedAccess(() -> check(s, m, n, k, false, true, false, seed + 2));
                    }
                }
            }
        }
    }

    @Test
    void largerThanOneCacheBlockInEveryDimension() {
        // Several K blocks, several M blocks, several panels (A read in place; packedAPathOnEveryWidth packs it)
        check(FloatVector.SPECIES_PREFERRED, 1000, 257, 1000, false, true, true, 5);
        check(FloatVector.SPECIES_PREFERRED, 700, 40, 1030, false, false, false, 6);
    }

    @Test
    void emptyInnerDimensionGivesBiasOrKeepsC() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = floats(arena, new float[]{1, 2, 3, 4, 5, 6});
            MemorySegment bias = floats(arena, new float[]{10, 20, 30});
            Matmul.multiply(FloatVector.SPECIES_PREFERRED, MemorySegment.NULL, MemorySegment.NULL, c, 2, 3, 0,
                    false, bias, true);
            assertEquals(11f, c.getAtIndex(F, 0));
            assertEquals(36f, c.getAtIndex(F, 5));
            Matmul.multiply(FloatVector.SPECIES_PREFERRED, MemorySegment.NULL, MemorySegment.NULL, c, 2, 3, 0,
                    false, null, false);
            for (int i = 0; i < 6; i++) {
                assertEquals(0f, c.getAtIndex(F, i));
            }
        }
    }

    @Test
    void nanInAGivesNanInItsRow() {
        try (Arena arena = Arena.ofConfined()) {
            int m = 20;
            int n = 40;
            int k = 30;
            float[] av = new float[m * k];
            Arrays.fill(av, 1f);
            av[7 * k + 3] = Float.NaN;
            MemorySegment a = floats(arena, av);
            MemorySegment b = floats(arena, new float[k * n]);
            MemorySegment c = arena.allocate((long) m * n * Float.BYTES);
            Matmul.multiply(a, b, c, m, n, k);
            for (int j = 0; j < n; j++) {
                assertTrue(Float.isNaN(c.getAtIndex(F, 7L * n + j)), "row 7 column " + j);
                assertEquals(0f, c.getAtIndex(F, 6L * n + j));
            }
        }
    }

    @Test
    void rejectsBadShapesAndWidths() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment small = arena.allocate(4 * Float.BYTES);
            MemorySegment big = arena.allocate(100 * Float.BYTES);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Matmul.multiply(small, big, big, 3, 3, 3));
            assertTrue(e.getMessage().contains("A holds 4 floats"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Matmul.multiply(big, big, big, -1, 3, 3));
            assertThrows(IllegalArgumentException.class, () -> Matmul.multiply(FloatVector.SPECIES_64,
                    big, big, big, 3, 3, 3, false, null, false));
            assertThrows(IllegalArgumentException.class, () -> Matmul.multiply(FloatVector.SPECIES_PREFERRED,
                    big, big, big, 3, 3, 3, false, small.asSlice(0, 2 * Float.BYTES), false));
        }
    }

    @Test
    void packedBIsSharedAcrossRowRanges() {
        VectorSpecies<Float> s = FloatVector.SPECIES_256;
        int m = 100;
        int n = 50;
        int k = 70;
        Random rnd = new Random(9);
        float[] av = random(rnd, m * k);
        float[] bv = random(rnd, k * n);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = floats(arena, av);
            MemorySegment b = floats(arena, bv);
            MemorySegment c = arena.allocate((long) m * n * Float.BYTES);
            MemorySegment packed = arena.allocate(Matmul.packedBBytes(s, k, n));
            int panels = Matmul.panelCount(s, n);
            Matmul.packB(s, b, k, n, false, packed, 0, panels / 2);
            Matmul.packB(s, b, k, n, false, packed, panels / 2, panels);
            Matmul.multiplyPacked(s, packed, a, c, m, n, k, 0, 42, null, false);
            Matmul.multiplyPacked(s, packed, a, c, m, n, k, 42, m, null, false);
            assertClose(Reference.matmul(av, bv, null, null, m, n, k, false), c, m, n, k, 1, 1);
        }
    }

    /** Runs {@code body} with every tile's accesses checked, then restores the property's setting. */
    private static void withCheckedAccess(Runnable body) {
        Matmul.checkedAccess = true;
        try {
            body.run();
        } finally {
            Matmul.checkedAccess = Settings.kernelsChecked();
        }
    }

    private static void check(VectorSpecies<Float> species, int m, int n, int k, boolean transposed,
                              boolean withBias, boolean accumulate, long seed) {
        Random rnd = new Random(seed);
        float[] av = random(rnd, m * k);
        float[] bv = random(rnd, k * n);
        float[] bias = withBias ? random(rnd, n) : null;
        float[] c0 = accumulate ? random(rnd, m * n) : null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = floats(arena, av);
            MemorySegment b = floats(arena, bv);
            MemorySegment c = c0 != null ? floats(arena, c0) : arena.allocate((long) m * n * Float.BYTES);
            if (c0 == null) {
                c.fill((byte) 0x7f); // garbage that must be overwritten
            }
            MemorySegment biasSeg = bias != null ? floats(arena, bias) : null;
            Matmul.multiply(species, a, b, c, m, n, k, transposed, biasSeg, accumulate);
            double[] ref = Reference.matmul(av, bv, bias, c0, m, n, k, transposed);
            assertClose(ref, c, m, n, k, 1, 1);
        }
    }

    /** Inputs are in [-1, 1], so max|a|·max|b| ≤ 1; the bias and C terms add at most 2 more. */
    static void assertClose(double[] ref, MemorySegment c, int m, int n, int k, double maxA, double maxB) {
        double tol = 1e-6 * Math.max(k, 1) * maxA * maxB + 1e-6;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float got = c.getAtIndex(F, (long) i * n + j);
                double want = ref[i * n + j];
                if (!(Math.abs(got - want) <= tol)) {
                    throw new AssertionError("C[" + i + "][" + j + "] of " + m + "×" + n + " (k=" + k + ") is " + got
                            + ", float64 reference " + want + ", tolerance " + tol);
                }
            }
        }
    }

    static float[] random(Random rnd, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        return v;
    }

    static MemorySegment floats(Arena arena, float[] values) {
        MemorySegment s = arena.allocate(Math.max(1, (long) values.length * Float.BYTES), 16);
        MemorySegment.copy(values, 0, s, F, 0, values.length);
        return s;
    }
}
