package io.numarrow.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A few calls of the chosen tile ({@code -Dnumarrow.gemm.tile}) over the longest K block, so that a JVM
 * whose back-edge threshold is low compiles the tile's K loop on stack replacement before the method
 * itself: {@link TileChoiceTest} reads what the JIT printed. With the argument {@code skipFirstTier} it
 * first tells the matmul that C1 is kept off the tiles, as the kernels' warm-up does.
 */
public final class TileOsrProbe {
    private TileOsrProbe() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("skipFirstTier")) {
            Matmul.tilesSkipFirstTier();
        }
        TileShape tile = TileChoice.preferred();
        int kc = GemmBlocking.KC_MAX;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(Packing.aGroupBytes(tile.mr), 64);
            MemorySegment b = arena.allocate((long) kc * tile.nr * Float.BYTES, 64);
            MemorySegment c = arena.allocate((long) tile.mr * tile.nr * Float.BYTES, 64);
            MemorySegment t = arena.allocate(tile.scratchBytes(), 64);
            for (int call = 0; call < 3; call++) {
                tile.tile(a, 0, b, 0, kc, c, 0, (long) tile.nr * Float.BYTES, call > 0, null, 0, t, true);
            }
        }
        System.out.println("ran " + TileChoice.spec(tile));
    }
}
