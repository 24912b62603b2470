package io.numarrow.kernels;

import java.io.IOException;
import java.nio.file.Path;

/** What the CLI's tune tests need of the kernels package: the default tile's name and a cache file written as tune would. */
public final class TuneCommandTestAccess {
    private TuneCommandTestAccess() {
    }

    public static String defaultTileSpec() {
        return TileChoice.spec(TileChoice.widthDefault());
    }

    public static void write(Path file, String tile, int mc, String date) throws IOException {
        TuningCache.write(file, TuningCache.Key.current(), new TuningCache.Choice(tile, mc, date));
    }
}
