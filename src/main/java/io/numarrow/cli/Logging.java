package io.numarrow.cli;

import org.slf4j.LoggerFactory;

/**
 * slf4j-simple's settings for the command line, set before the first logger is made (it reads
 * them once). Default: one short line per message on stderr, {@code [INFO] message}.
 * {@code --verbose}: DEBUG, with the time, thread and logger to follow what ran where.
 * {@code --quiet}: errors only. Any {@code -Dorg.slf4j.simpleLogger.*} given on the command line
 * wins over these.
 */
final class Logging {
    private static final String PREFIX = "org.slf4j.simpleLogger.";
    /** slf4j's own setting: the provider to load, instead of looking for one through every jar of the class path. */
    static final String PROVIDER = "slf4j.provider";
    static final String SIMPLE_PROVIDER = "org.slf4j.simple.SimpleServiceProvider";
    /** The level of slf4j's own reports on stderr. */
    static final String REPORTS = "slf4j.internal.verbosity";

    private Logging() {
    }

    static void configure(boolean verbose) {
        configure(verbose, false);
    }

    static void configure(boolean verbose, boolean quiet) {
        setIfAbsent("defaultLogLevel", verbose ? "debug" : quiet ? "error" : "info");
        setIfAbsent("showDateTime", String.valueOf(verbose));
        if (Boolean.parseBoolean(System.getProperty(PREFIX + "showDateTime"))) {
            // only then: slf4j-simple builds a SimpleDateFormat for any format given, tens of ms at start
            setIfAbsent("dateTimeFormat", "HH:mm:ss.SSS");
        }
        setIfAbsent("showThreadName", String.valueOf(verbose));
        setIfAbsent("showLogName", "false");
        setIfAbsent("showShortLogName", String.valueOf(verbose));
        setIfAbsent("levelInBrackets", "true");
        setIfAbsent("logFile", "System.err");
        // Arrow logs its allocator choice at INFO; users do not need it.
        setIfAbsent("log.org.apache.arrow", verbose ? "debug" : "warn");
        if (System.getProperty(PROVIDER) == null) {
            // named: slf4j's ServiceLoader would open every jar of the class path to look (7 ms of a job's start,
            // docs/performance.md, issue 29, session 14); slf4j says at INFO that it loads a named one
            System.setProperty(PROVIDER, SIMPLE_PROVIDER);
            if (System.getProperty(REPORTS) == null) {
                System.setProperty(REPORTS, "WARN");
            }
        }
        // started here, on one thread: the kernels' compile thread makes loggers too, and slf4j replays
        // (with a warning on stderr) whatever another thread logged while it was starting
        LoggerFactory.getILoggerFactory();
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(PREFIX + key) == null) {
            System.setProperty(PREFIX + key, value);
        }
    }
}
