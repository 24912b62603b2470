package io.numarrow.kernels;

import io.numarrow.Settings;
import java.util.Optional;

/**
 * Cache blocking of the matmul for one tile shape: K is cut into blocks of {@code kc} so that one packed
 * B panel ({@code kc×nr} floats) stays in L1 while it is reused against every row tile of A, and rows
 * into blocks of {@code mc} so that one packed block of A ({@code mc×kc} floats) stays in L2 while every
 * B panel streams past it.
 *
 * <p>Both come from {@link CacheSizes}; the system properties {@code numarrow.gemm.kc} and
 * {@code numarrow.gemm.mc} override them for tuning. Without the property, {@code mc} is the one
 * {@code numarrow tune} measured for the tile ({@link TuningCache}): {@code mc} only groups rows, so it
 * leaves every sum's order, hence the bits, as they are; {@code kc} cuts the sums and is never tuned.
 */
record GemmBlocking(TileShape shape, int kc, int mc) {
    /** The longest K block: packed A leaves room for it in every row ({@link Packing#A_ROW_BYTES}). */
    static final int KC_MAX = 512;
    private static final GemmBlocking[] BY_SHAPE = new GemmBlocking[TileShape.values().length];

    static {
        CacheSizes caches = CacheSizes.current();
        for (TileShape s : TileShape.values()) {
            BY_SHAPE[s.ordinal()] = of(s, caches, Settings.gemmKc(), mcOverride(s, Settings.gemmMc(), TileChoice.tunedUnlessNamed()));
        }
    }

    /** The row block asked for: the property's if set, else the tuned one for the tile it was measured with, else 0. */
    static int mcOverride(TileShape shape, int mcProperty, Optional<TuningCache.Choice> tuned) {
        if (mcProperty > 0) {
            return mcProperty;
        }
        return tuned.filter(c -> c.tile().equals(TileChoice.spec(shape))).map(TuningCache.Choice::mc).orElse(0);
    }

    static GemmBlocking forShape(TileShape shape) {
        return BY_SHAPE[shape.ordinal()];
    }

    /**
     * The blocking for {@code shape} on {@code caches}; a positive {@code kcOverride}/{@code mcOverride}
     * wins over the computed value.
     */
    static GemmBlocking of(TileShape shape, CacheSizes caches, int kcOverride, int mcOverride) {
        // The B panel may be twice L1: the micro-kernel's B loads are sequential, so the prefetcher keeps
        // them coming from L2, while every K block costs one more pass of loads and stores over C
        // (two L1s beat one, four were no better: docs/performance.md).
        long kc = kcOverride > 0 ? kcOverride : 2 * caches.l1Data() / ((long) shape.nr * Float.BYTES);
        kc = Math.clamp(kc, 64, KC_MAX) & ~7L;
        // Half of L2 for the A block; the rest holds the B panels and C rows on their way through.
        long mc = mcOverride > 0 ? mcOverride : caches.l2() / 2 / (kc * Float.BYTES);
        mc = Math.clamp(mc, shape.mr, 4096);
        mc -= mc % shape.mr;
        return new GemmBlocking(shape, (int) kc, (int) mc);
    }
}
