package io.numarrow.kernels;

import io.numarrow.BadInputException;
import io.numarrow.Settings;
import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which register tile a vector width runs. Each width has a default; for the preferred width the system
 * property {@code numarrow.gemm.tile} ({@code ROWSxCOLS}, e.g. {@code 12x32}) picks another tile of the
 * same width and column count. Only such tiles are offered: they give the same bits (docs/performance.md),
 * so the choice changes speed alone. Without the property, the tile {@code numarrow tune} measured on this
 * machine ({@link TuningCache}) is used if this JVM offers it.
 */
final class TileChoice {
    private static final Logger LOG = LoggerFactory.getLogger(TileChoice.class);
    /**
     * The preferred width's tile. Not final, so tests can run every tile; change it only between calls
     * and before any weights are prepared.
     */
    static TileShape chosen = choose(Settings.gemmTile(), TuningCache::inForce);

    private TileChoice() {
    }

    /** The tile for {@code species}: the chosen one for the preferred width, the default for the others. */
    static TileShape of(VectorSpecies<Float> species) {
        if (species.elementType() != float.class) {
            throw new IllegalArgumentException("matmul needs a float species, got " + species);
        }
        TileShape width = defaultFor(species.vectorBitSize(), species);
        TileShape preferred = chosen;
        return width.bits == preferred.bits ? preferred : width;
    }

    /**
     * The tile for products read in place ({@code tileDirect}): the width's 6-row tile, whose few rows of A
     * the JIT keeps in registers, where a taller tile's row addresses would spill.
     */
    static TileShape direct(VectorSpecies<Float> species) {
        return switch (species.vectorBitSize()) {
            case 512 -> TileShape.W512;
            default -> defaultFor(species.vectorBitSize(), species);
        };
    }

    static TileShape preferred() {
        return chosen;
    }

    /** The tiles that may replace {@code shape}: its width and its columns, hence its bits. */
    static List<TileShape> sameBits(TileShape shape) {
        return Arrays.stream(TileShape.values()).filter(t -> t.bits == shape.bits && t.nr == shape.nr).toList();
    }

    /**
     * {@link #sameBits} that this JVM compiles reliably. Tiles of more than {@link #SAFE_ROWS} rows (rows
     * times K steps unrolled, {@link #firstTierCompiles}) exceed what the JIT's first tier compiles on stack
     * replacement; a JVM that first gave such a tile the
     * first tier's counting code (which it does while the optimising compiler is busy) then never
     * compiled it further, even with the compile policy of {@code jvm.flags} (docs/performance.md).
     * {@code -XX:Tier3DelayOn} of at least {@link #TIER3_DELAY_ON} stops the JVM from choosing that code,
     * and keeping C1 off the tiles altogether ({@link FirstTier#keepOff}) leaves no such code: only then
     * are the taller tiles offered.
     */
    static List<TileShape> safeChoices(TileShape shape) {
        return safeChoices(shape, tallTilesCompile());
    }

    /** {@link #safeChoices} where the tall tiles compile ({@code tallOk}) or not. */
    static List<TileShape> safeChoices(TileShape shape, boolean tallOk) {
        return sameBits(shape).stream().filter(t -> firstTierCompiles(t) || tallOk).toList();
    }

    /**
     * The most broadcasts of A per K-loop iteration (rows × K steps unrolled) the first tier compiles on
     * stack replacement: 8×32 does, 12×32 and 7×32 unrolled by two run out of its virtual registers.
     */
    static final int SAFE_ROWS = 8;

    /** Whether the first tier compiles {@code t}'s K loop on stack replacement ({@link #SAFE_ROWS}). */
    static boolean firstTierCompiles(TileShape t) {
        return t.mr * t.unroll <= SAFE_ROWS;
    }
    static final long TIER3_DELAY_ON = 10_000;

    /**
     * Whether this JVM keeps its first-tier compiler (C1) off the register tiles ({@link
     * Matmul#tilesSkipFirstTier}): a tile then goes from the interpreter to C2, and no tile height is
     * out of reach. A class of its own, so that when this is what first touches {@link TileChoice} the
     * flag is set before its first choice: a tall tile named by the property is then not warned about.
     */
    static final class FirstTier {
        private static volatile boolean keptOff;

        private FirstTier() {
        }

        /**
         * Called when C1 is kept off the tiles from now on (before any tile has run): the tall tiles are then
         * offered too, and the preferred tile is chosen again (the tuned one may be a tall one). Every tile of
         * the width gives the same bits, so a call running meanwhile is right whichever tile it ran.
         */
        static void keepOff() {
            if (!keptOff) {
                keptOff = true;
                chosen = choose(Settings.gemmTile(), TuningCache::inForce);
            }
        }

        static boolean keptOff() {
            return keptOff;
        }
    }

    /** Why the tall tiles are, or are not, offered in this JVM: one clause for {@code numarrow topology}. */
    static String tallTilesNote() {
        if (FirstTier.keptOff()) {
            return "tiles over " + SAFE_ROWS + " rows (rows × K steps unrolled) offered: C1 is kept off the tiles (numarrow.kernels.skipC1, on by default)";
        }
        if (delayFlagSet()) {
            return "tiles over " + SAFE_ROWS + " rows (rows × K steps unrolled) offered: -XX:Tier3DelayOn keeps the tiles out of C1's counting code";
        }
        return "tiles over " + SAFE_ROWS + " rows (rows × K steps unrolled) not offered: C1 may compile the tiles and fails on them"
                + " (offered once the kernels' warm-up keeps C1 off them: numarrow.kernels.skipC1, on by default, in a JVM that takes its compiler directive)";
    }

    /**
     * Whether this JVM keeps the tall tiles out of the first tier's counting code: C1 kept off the tiles,
     * or its flags.
     */
    static boolean tallTilesCompile() {
        return FirstTier.keptOff() || delayFlagSet();
    }

    /** Whether {@code -XX:Tier3DelayOn} (or no tiered compilation) keeps the tiles out of C1's counting code. */
    private static boolean delayFlagSet() {
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            if (!Boolean.parseBoolean(vm.getVMOption("TieredCompilation").getValue())) {
                return true;
            }
            return Long.parseLong(vm.getVMOption("Tier3DelayOn").getValue()) >= TIER3_DELAY_ON;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * A width's default tile for packed products: on 512-bit vectors the 8-row one, whose 16 accumulators
     * put the K loop at the FMA units' limit where 6 rows left it at the front end's, and which the JIT's
     * first tier still compiles on stack replacement ({@link #SAFE_ROWS}; docs/performance.md).
     */
    private static TileShape defaultFor(int bits, Object what) {
        return switch (bits) {
            case 512 -> TileShape.W512_8X32;
            case 256 -> TileShape.W256;
            case 128 -> TileShape.W128;
            default -> throw new IllegalArgumentException("matmul supports 128, 256 and 512-bit float vectors, not "
                    + what + " (use FloatVector.SPECIES_PREFERRED)");
        };
    }

    /**
     * The preferred width's tile: the one {@code spec} names (the property) if any, else the tuned one
     * when it is among {@link #safeChoices}, else the width's default. {@code tuned} is asked only when
     * {@code spec} is blank, so a property spares the cache's reading.
     */
    static TileShape choose(String spec, Supplier<Optional<TuningCache.Choice>> tuned) {
        return choose(spec, tuned, tallTilesCompile());
    }

    /** {@link #choose} where the tall tiles compile ({@code tallOk}) or not. */
    static TileShape choose(String spec, Supplier<Optional<TuningCache.Choice>> tuned, boolean tallOk) {
        if (spec != null && !spec.isBlank()) {
            TileShape named = preferredFrom(spec);
            tallTileWarning(named, tallOk).ifPresent(LOG::warn);
            return named;
        }
        TileShape width = widthDefault();
        Optional<TuningCache.Choice> choice = tuned.get();
        if (choice.isEmpty()) {
            return width;
        }
        for (TileShape t : safeChoices(width, tallOk)) {
            if (spec(t).equals(choice.get().tile())) {
                return t;
            }
        }
        LOG.debug("tuned tile {} is not one this JVM offers ({}): the default {} runs", choice.get().tile(),
                safeChoices(width, tallOk).stream().map(TileChoice::spec).toList(), spec(width));
        return width;
    }

    /**
     * The warning for a tile named by the property that this JVM may leave in the first tier's slow code
     * ({@link #safeChoices}): the property wins, so the user hears which flag makes it safe.
     */
    static Optional<String> tallTileWarning(TileShape named, boolean tallOk) {
        if (firstTierCompiles(named) || tallOk) {
            return Optional.empty();
        }
        return Optional.of("-D" + Settings.GEMM_TILE.name() + "=" + spec(named) + " without -XX:Tier3DelayOn=" + TIER3_DELAY_ON
                + " (or more): the JIT may leave this tile in slow first-tier code; add the flag (e.g. in NUMARROW_JAVA_OPTS)"
                + " or use a tile of at most " + SAFE_ROWS + " rows, not unrolled");
    }

    /**
     * The cache's choice unless the property names a tile: its row block applies to its tile whichever
     * tile is chosen now (the choice may change to it, {@link FirstTier#keepOff}).
     */
    static Optional<TuningCache.Choice> tunedUnlessNamed() {
        String spec = Settings.gemmTile();
        return spec != null && !spec.isBlank() ? Optional.empty() : TuningCache.inForce();
    }

    /** Whether {@link #chosen} came from {@code numarrow tune}'s cache: no property, and the cache named it. */
    static Optional<TuningCache.Choice> tunedInForce() {
        String spec = Settings.gemmTile();
        if (spec != null && !spec.isBlank()) {
            return Optional.empty();
        }
        return TuningCache.inForce().filter(c -> c.tile().equals(spec(chosen)));
    }

    /** The preferred width's default tile. */
    static TileShape widthDefault() {
        return defaultFor(FloatVector.SPECIES_PREFERRED.vectorBitSize(), FloatVector.SPECIES_PREFERRED);
    }

    /** {@code ROWSxCOLS}, as the property and the cache name a tile. */
    static String spec(TileShape t) {
        return t.mr + "x" + t.nr;
    }

    /** The preferred width's tile named by {@code spec} ({@code ROWSxCOLS}), or its default when null. */
    static TileShape preferredFrom(String spec) {
        TileShape width = defaultFor(FloatVector.SPECIES_PREFERRED.vectorBitSize(), FloatVector.SPECIES_PREFERRED);
        if (spec == null || spec.isBlank()) {
            return width;
        }
        for (TileShape t : sameBits(width)) {
            if ((t.mr + "x" + t.nr).equals(spec.trim().toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new BadInputException("-D" + Settings.GEMM_TILE.name() + "=" + spec + ": expected one of this JVM's "
                + width.bits + "-bit tiles " + sameBits(width).stream().map(t -> t.mr + "x" + t.nr).toList());
    }
}
