package io.numarrow.kernels;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register tile of one vector width: {@code mr} rows by {@code nr} columns of C per micro-kernel
 * call, and the call itself, dispatched to the class compiled for that width.
 */
enum TileShape {
    W512(MicroKernel512.MR, MicroKernel512.NR, MicroKernel512.SHORT_MR),
    W256(MicroKernel256.MR, MicroKernel256.NR, MicroKernel256.SHORT_MR),
    W128(MicroKernel128.MR, MicroKernel128.NR, MicroKernel128.SHORT_MR);

    final int mr;
    final int nr;
    /** A bottom edge of at most this many rows and full columns runs on a tile of this many rows. */
    final int shortMr;

    TileShape(int mr, int nr, int shortMr) {
        this.mr = mr;
        this.nr = nr;
        this.shortMr = shortMr;
    }

    static TileShape of(VectorSpecies<Float> species) {
        if (species.elementType() != float.class) {
            throw new IllegalArgumentException("matmul needs a float species, got " + species);
        }
        return switch (species.vectorBitSize()) {
            case 512 -> W512;
            case 256 -> W256;
            case 128 -> W128;
            default -> throw new IllegalArgumentException("matmul supports 128, 256 and 512-bit float vectors, not "
                    + species + " (use FloatVector.SPECIES_PREFERRED)");
        };
    }

    static TileShape preferred() {
        return of(FloatVector.SPECIES_PREFERRED);
    }

    /**
     * {@code C[mr×nr] (=|+=) A[mr×kc]·B[kc×nr] (+ bias)}.
     *
     * @param aOff       byte offset of A's element (0, 0)
     * @param aRowStride bytes from one row of A to the next (4 when A is packed)
     * @param aStep      bytes from one column of A to the next ({@code 4·mr} when packed, 4 when not)
     * @param bOff       byte offset of B's element (0, 0) for this tile
     * @param bStep      bytes from one row of B to the next: {@code 4·nr} in a packed panel, B's row
     *                   length when B is read in place
     * @param loadC      add to C's current values rather than overwrite them
     * @param bias       {@code nr} floats added to every row, or null
     * @param unchecked  the segments are native and the caller has checked every access's bounds and the
     *                   segments' liveness and thread: use the kernel without per-access checks
     */
    void tile(MemorySegment a, long aOff, long aRowStride, long aStep, MemorySegment b, long bOff, long bStep, int kc,
              MemorySegment c, long cOff, long cRowStride, boolean loadC, MemorySegment bias, long biasOff,
              boolean unchecked) {
        if (unchecked) {
            switch (this) {
                case W512 -> MicroKernel512.tileUnchecked(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff);
                case W256 -> MicroKernel256.tileUnchecked(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff);
                case W128 -> MicroKernel128.tileUnchecked(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff);
            }
            return;
        }
        switch (this) {
            case W512 -> MicroKernel512.tile(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff);
            case W256 -> MicroKernel256.tile(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff);
            case W128 -> MicroKernel128.tile(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff);
        }
    }

    /** {@link #tile} for an edge: only the first {@code mv} rows and {@code nv} columns of C are read or written. */
    void tileMasked(MemorySegment a, long aOff, long aRowStride, long aStep, MemorySegment b, long bOff, long bStep, int kc,
                    MemorySegment c, long cOff, long cRowStride, boolean loadC, MemorySegment bias, long biasOff,
                    int mv, int nv, boolean unchecked) {
        if (mv <= shortMr && nv == nr) {
            tileShort(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff, mv,
                    unchecked);
            return;
        }
        if (unchecked) {
            switch (this) {
                case W512 -> MicroKernel512.tileMaskedUnchecked(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff, mv, nv);
                case W256 -> MicroKernel256.tileMaskedUnchecked(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff, mv, nv);
                case W128 -> MicroKernel128.tileMaskedUnchecked(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff, mv, nv);
            }
            return;
        }
        switch (this) {
            case W512 -> MicroKernel512.tileMasked(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff, mv, nv);
            case W256 -> MicroKernel256.tileMasked(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff, mv, nv);
            case W128 -> MicroKernel128.tileMasked(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff, mv, nv);
        }
    }

    /** A bottom edge of at most {@link #shortMr} rows and full columns, on the short tile. */
    private void tileShort(MemorySegment a, long aOff, long aRowStride, long aStep, MemorySegment b, long bOff,
                           long bStep, int kc, MemorySegment c, long cOff, long cRowStride, boolean loadC,
                           MemorySegment bias, long biasOff, int mv, boolean unchecked) {
        if (unchecked) {
            switch (this) {
                case W512 -> MicroKernel512.tileRows4Unchecked(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff, mv);
                case W256 -> MicroKernel256.tileRows4Unchecked(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff, mv);
                case W128 -> MicroKernel128.tileRows4Unchecked(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff, mv);
            }
            return;
        }
        switch (this) {
            case W512 -> MicroKernel512.tileRows4(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff, mv);
            case W256 -> MicroKernel256.tileRows4(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff, mv);
            case W128 -> MicroKernel128.tileRows4(a, aOff, aRowStride, aStep, b, bOff, bStep, kc, c, cOff, cRowStride, loadC, bias, biasOff, mv);
        }
    }
}
