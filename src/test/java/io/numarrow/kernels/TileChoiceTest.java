package io.numarrow.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.BadInputException;
import org.junit.jupiter.api.Test;

class TileChoiceTest {
    @Test
    void everyTileOfThePreferredWidthIsNamedByItsRowsAndColumns() {
        TileShape width = TileChoice.preferredFrom(null);
        assertEquals(width, TileChoice.preferredFrom(" "));
        for (TileShape t : TileChoice.sameBits(width)) {
            assertEquals(t, TileChoice.preferredFrom(t.mr + "x" + t.nr));
            assertEquals(t, TileChoice.preferredFrom(" " + t.mr + "X" + t.nr + " "));
            assertEquals(width.bits, t.bits);
            assertEquals(width.nr, t.nr, "a tile of other columns would change kc, hence the bits");
        }
    }

    @Test
    void aTileThisWidthDoesNotHaveIsOneLineNamingTheProperty() {
        BadInputException e = assertThrows(BadInputException.class, () -> TileChoice.preferredFrom("7x32"));
        assertTrue(e.getMessage().startsWith("-Dnumarrow.gemm.tile=7x32: expected one of this JVM's "), e.getMessage());
        assertTrue(e.getMessage().contains(TileChoice.preferredFrom(null).mr + "x"), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    @Test
    void tallTilesAreOfferedOnlyWhereTheJvmCompilesThem() {
        TileShape width = TileChoice.preferredFrom(null);
        boolean tallOk = TileChoice.tallTilesCompile();
        for (TileShape t : TileChoice.sameBits(width)) {
            assertEquals(t.mr <= TileChoice.SAFE_ROWS || tallOk, TileChoice.safeChoices(width).contains(t), t.name());
        }
    }
}
