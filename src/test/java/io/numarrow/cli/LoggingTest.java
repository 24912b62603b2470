package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The slf4j-simple settings the CLI makes (system properties; restored after each test). */
@Timeout(10)
class LoggingTest {
    private static final String PREFIX = "org.slf4j.simpleLogger.";
    private final Map<String, String> saved = new HashMap<>();

    @BeforeEach
    void save() {
        System.getProperties().stringPropertyNames().stream().filter(LoggingTest::isSetting)
                .forEach(k -> saved.put(k, System.getProperty(k)));
        clearSettings();
    }

    private static boolean isSetting(String key) {
        return key.startsWith(PREFIX) || key.equals(Logging.PROVIDER) || key.equals(Logging.REPORTS);
    }

    @AfterEach
    void restore() {
        clearSettings();
        saved.forEach(System::setProperty);
    }

    private static void clearSettings() {
        System.getProperties().stringPropertyNames().stream().filter(LoggingTest::isSetting)
                .forEach(System::clearProperty);
    }

    private static String get(String key) {
        return System.getProperty(PREFIX + key);
    }

    @Test
    void infoIsOneShortLineOnStderr() {
        Logging.configure(false, false);
        assertEquals("info", get("defaultLogLevel"));
        assertEquals("false", get("showThreadName"));
        assertEquals("false", get("showDateTime"));
        assertEquals(null, get("dateTimeFormat"), "no format without the time: slf4j-simple would build a SimpleDateFormat");
        assertEquals("false", get("showShortLogName"));
        assertEquals("System.err", get("logFile"));
        assertEquals("warn", get("log.org.apache.arrow"));
    }

    @Test
    void verboseIsDebugWithTimeThreadAndLogger() {
        Logging.configure(true, false);
        assertEquals("debug", get("defaultLogLevel"));
        assertEquals("true", get("showThreadName"));
        assertEquals("true", get("showDateTime"));
        assertEquals("HH:mm:ss.SSS", get("dateTimeFormat"));
        assertEquals("true", get("showShortLogName"));
        assertEquals("debug", get("log.org.apache.arrow"));
    }

    @Test
    void quietLeavesOnlyErrorsAndVerboseWins() {
        Logging.configure(false, true);
        assertEquals("error", get("defaultLogLevel"));
        clearSettings();
        Logging.configure(true, true);
        assertEquals("debug", get("defaultLogLevel"));
    }

    @Test
    void aSettingGivenOnTheCommandLineWins() {
        System.setProperty(PREFIX + "defaultLogLevel", "trace");
        Logging.configure(false, false);
        assertEquals("trace", get("defaultLogLevel"));
    }

    /** slf4j-simple's provider is named (no search through the class path's jars) and exists; one given wins. */
    @Test
    void theProviderIsNamedUnlessGiven() throws Exception {
        Logging.configure(false, false);
        assertEquals(Logging.SIMPLE_PROVIDER, System.getProperty(Logging.PROVIDER));
        assertEquals("WARN", System.getProperty(Logging.REPORTS), "slf4j's INFO line about a named provider kept off stderr");
        Class.forName(Logging.SIMPLE_PROVIDER);
        clearSettings();
        System.setProperty(Logging.PROVIDER, "org.example.OwnProvider");
        Logging.configure(false, false);
        assertEquals("org.example.OwnProvider", System.getProperty(Logging.PROVIDER));
        assertEquals(null, System.getProperty(Logging.REPORTS), "slf4j's reports as the user gets them");
    }
}
