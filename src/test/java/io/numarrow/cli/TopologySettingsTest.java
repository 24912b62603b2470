package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.numarrow.Settings;
import io.numarrow.SystemProperties;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code numarrow topology} shows the numarrow.* settings in force; a bad one stops every command with one line. */
@Timeout(60)
class TopologySettingsTest {
    private static final String PROPERTY = Settings.PARQUET_ROW_GROUP_ROWS.name();

    @Test
    void jsonHoldsEverySettingInForce() throws Exception {
        JsonNode settings = SystemProperties.with(PROPERTY, "4096", () -> {
            CliBadInputTest.Run run = CliBadInputTest.cli("topology", "--json");
            assertEquals(0, run.status(), run.stderr());
            return new ObjectMapper().readTree(run.stdout()).get("settings");
        });
        assertEquals(Settings.all().size(), settings.size(), settings.toString());
        for (Settings.Setting s : Settings.all()) {
            assertTrue(settings.has(s.name()), s.name() + " missing from " + settings);
        }
        assertEquals("4096", settings.get(PROPERTY).get("value").asText());
        assertTrue(settings.get(PROPERTY).get("set").asBoolean());
        assertEquals(Settings.GEMM_A_LAYOUT.inForce(), settings.get(Settings.GEMM_A_LAYOUT.name()).get("value").asText());
    }

    @Test
    void verboseListsThemAndThePlainOutputDoesNot() throws Exception {
        String verbose = SystemProperties.with(PROPERTY, null, () -> CliBadInputTest.cli("topology", "--verbose").stdout());
        for (Settings.Setting s : Settings.all()) {
            assertTrue(verbose.contains(s.name() + "="), s.name() + " missing from:\n" + verbose);
        }
        assertTrue(verbose.contains(PROPERTY + "=0 (default)"), verbose);
        String plain = CliBadInputTest.cli("topology").stdout();
        assertFalse(plain.contains(PROPERTY), plain);
    }

    @Test
    void aBadSettingIsExit2AndOneLineNamingIt() throws Exception {
        CliBadInputTest.Run run = SystemProperties.with(PROPERTY, "many", () -> CliBadInputTest.cli("topology"));
        assertEquals(Main.EXIT_BAD_INPUT, run.status());
        List<String> lines = run.errLines();
        assertEquals(1, lines.size(), run.stderr());
        assertTrue(lines.getFirst().startsWith("numarrow: -D" + PROPERTY + "=many: expected a whole number"), lines.getFirst());
        assertEquals("", run.stdout());
    }
}
