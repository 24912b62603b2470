package io.numarrow.cli;

/**
 * slf4j-simple's settings for the command line, set before the first logger is made: short INFO
 * lines on stderr, DEBUG with {@code --verbose}.
 */
final class Logging {
    private Logging() {
    }

    static void configure(boolean verbose) {
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : "info");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", verbose ? "true" : "false");
        setIfAbsent("org.slf4j.simpleLogger.showLogName", verbose ? "true" : "false");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
        setIfAbsent("org.slf4j.simpleLogger.levelInBrackets", "true");
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        // Arrow logs its allocator choice at INFO; users do not need it.
        setIfAbsent("org.slf4j.simpleLogger.log.org.apache.arrow", verbose ? "debug" : "warn");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
