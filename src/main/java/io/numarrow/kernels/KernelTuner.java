package io.numarrow.kernels;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import io.numarrow.Settings;

/**
 * {@code numarrow tune}: times every matmul variant that gives the default's bits on two representative
 * products and keeps the fastest in {@link TuningCache}. The variants are the preferred width's tiles of
 * the same columns that this JVM compiles reliably ({@link TileChoice#safeChoices}) and, for each, the row
 * block {@code mc} at half, once and twice its computed size; {@code kc} cuts every sum and is kept.
 *
 * <p>Each round runs every variant once on each product, in a rotating order, on the calling thread, with
 * B packed beforehand as for prepared weights; the medians of the rounds after the warm-up decide. A
 * variant must beat the default by {@link #MARGIN} to replace it, so that noise does not flip the choice,
 * and every variant's output is compared bit for bit with the default's before it may be chosen.
 */
public final class KernelTuner {
    /** The share of the default's time a variant must save to be chosen. */
    static final double MARGIN = 0.02;
    public static final int WARMUP_ROUNDS = 3;
    /** The products timed, {m, n, k}: a scoring batch of a 256-wide layer, and a square-ish sgemm of two K blocks. */
    static final int[][] PRODUCTS = {{8192, 256, 256}, {2048, 1024, 1024}};

    private KernelTuner() {
    }

    /** One variant: its tile and row block, and whether it is what runs without tuning. */
    record Candidate(TileShape tile, GemmBlocking blocking, boolean isDefault) {
        String name() {
            return TileChoice.spec(tile) + " mc=" + blocking.mc();
        }
    }

    /**
     * One variant's times per product in milliseconds (median, min, max of the timed rounds), its score
     * (the mean of its medians over the default's; below 1 is faster) and whether its bits matched.
     */
    public record Measurement(String tile, int mc, boolean isDefault, double[] medianMs, double[] minMs,
                              double[] maxMs, double score, boolean sameBits) {
    }

    /** What {@link #measure} found: every variant, the one chosen, the products and when. */
    public record Result(List<Measurement> rows, Measurement chosen, List<String> products, String measuredOn) {
    }

    /** The variants the tuner may choose, the default first; every one gives the default's bits. */
    static List<Candidate> candidates() {
        return candidates(TileChoice.safeChoices(TileChoice.widthDefault()));
    }

    /** The variants over {@code tiles} (tests pass every tile of the width, whatever this JVM's flags). */
    static List<Candidate> candidates(List<TileShape> tiles) {
        CacheSizes caches = CacheSizes.current();
        int kc = Settings.gemmKc();
        TileShape width = TileChoice.widthDefault();
        Map<String, Candidate> out = new LinkedHashMap<>();
        GemmBlocking standard = GemmBlocking.of(width, caches, kc, 0);
        out.put(TileChoice.spec(width) + "/" + standard.mc(), new Candidate(width, standard, true));
        for (TileShape t : tiles) {
            int mc = GemmBlocking.of(t, caches, kc, 0).mc();
            for (int m : new int[] {mc, mc / 2, mc * 2}) {
                GemmBlocking b = GemmBlocking.of(t, caches, kc, m);
                out.putIfAbsent(TileChoice.spec(t) + "/" + b.mc(), new Candidate(t, b, false));
            }
        }
        return List.copyOf(out.values());
    }

    /** Times every candidate for {@code rounds} rounds after {@link #WARMUP_ROUNDS} and chooses. */
    public static Result measure(int rounds) {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1, got " + rounds);
        }
        List<Candidate> candidates = candidates();
        int p = PRODUCTS.length;
        long[][][] nanos = new long[candidates.size()][p][rounds];
        boolean[] sameBits = new boolean[candidates.size()];
        try (Arena arena = Arena.ofConfined()) {
            Operands[] ops = new Operands[p];
            for (int i = 0; i < p; i++) {
                ops[i] = new Operands(arena, PRODUCTS[i][0], PRODUCTS[i][1], PRODUCTS[i][2], candidates.getFirst());
            }
            for (int r = 0; r < WARMUP_ROUNDS + rounds; r++) {
                for (int j = 0; j < candidates.size(); j++) {
                    int c = (j + r) % candidates.size(); // rotate, so no variant always runs first or last
                    for (int i = 0; i < p; i++) {
                        long t = ops[i].time(candidates.get(c));
                        if (r >= WARMUP_ROUNDS) {
                            nanos[c][i][r - WARMUP_ROUNDS] = t;
                        }
                    }
                }
            }
            for (int c = 0; c < candidates.size(); c++) {
                boolean same = true;
                for (Operands o : ops) {
                    same &= o.sameBitsAsDefault(candidates.get(c));
                }
                sameBits[c] = same;
            }
        }
        List<Measurement> rows = new ArrayList<>();
        double[] base = medians(nanos[0]);
        for (int c = 0; c < candidates.size(); c++) {
            double[] med = medians(nanos[c]);
            double[] min = new double[p];
            double[] max = new double[p];
            double score = 0;
            for (int i = 0; i < p; i++) {
                min[i] = Arrays.stream(nanos[c][i]).min().orElseThrow() / 1e6;
                max[i] = Arrays.stream(nanos[c][i]).max().orElseThrow() / 1e6;
                score += med[i] / base[i] / p;
                med[i] /= 1e6;
            }
            Candidate k = candidates.get(c);
            rows.add(new Measurement(TileChoice.spec(k.tile()), k.blocking().mc(), k.isDefault(), med, min, max, score, sameBits[c]));
        }
        Measurement chosen = rows.getFirst();
        for (Measurement m : rows) {
            if (m.sameBits() && m.score() < 1 - MARGIN && m.score() < chosen.score()) {
                chosen = m;
            }
        }
        List<String> products = Arrays.stream(PRODUCTS).map(s -> s[0] + "×" + s[2] + "·" + s[2] + "×" + s[1]).toList();
        return new Result(rows, chosen, products, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    }

    /** Writes {@code result}'s choice for this machine; returns the file. */
    public static Path save(Result result) throws IOException {
        Path file = TuningCache.file();
        TuningCache.write(file, TuningCache.Key.current(),
                new TuningCache.Choice(result.chosen().tile(), result.chosen().mc(), result.measuredOn()));
        return file;
    }

    private static double[] medians(long[][] perProduct) {
        double[] out = new double[perProduct.length];
        for (int i = 0; i < perProduct.length; i++) {
            long[] sorted = perProduct[i].clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            out[i] = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
        }
        return out;
    }

    /** One product's A, B packed (the same for every candidate: same columns, same kc), C, and the default's C. */
    private static final class Operands {
        final int m;
        final int n;
        final int k;
        final MemorySegment a;
        final MemorySegment packed;
        final MemorySegment c;
        final MemorySegment reference;

        Operands(Arena arena, int m, int n, int k, Candidate standard) {
            this.m = m;
            this.n = n;
            this.k = k;
            SplittableRandom rnd = new SplittableRandom(m * 31L + n * 7L + k);
            a = random(arena, (long) m * k, rnd);
            MemorySegment b = random(arena, (long) k * n, rnd);
            TileShape tile = standard.tile();
            packed = arena.allocate(Packing.packedBBytes(tile, k, n), 64);
            Packing.packB(tile, standard.blocking().kc(), b, k, n, false, packed, 0, Packing.panels(n, tile));
            c = arena.allocate((long) m * n * Float.BYTES, 64);
            reference = arena.allocate((long) m * n * Float.BYTES, 64);
            Matmul.run(tile, standard.blocking(), packed, a, reference, n, k, 0, m, null, false);
        }

        long time(Candidate x) {
            long t0 = System.nanoTime();
            Matmul.run(x.tile(), x.blocking(), packed, a, c, n, k, 0, m, null, false);
            return System.nanoTime() - t0;
        }

        boolean sameBitsAsDefault(Candidate x) {
            c.fill((byte) 0x7f);
            Matmul.run(x.tile(), x.blocking(), packed, a, c, n, k, 0, m, null, false);
            return c.mismatch(reference) == -1;
        }

        private static MemorySegment random(Arena arena, long count, SplittableRandom rnd) {
            MemorySegment s = arena.allocate(count * Float.BYTES, 64);
            for (long i = 0; i < count; i++) {
                s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextDouble(-1, 1));
            }
            return s;
        }
    }
}
