package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.ChildJvm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A fresh JVM's {@code compute} logs in the format {@link Logging} sets: the settings are in place before
 * anything makes a logger (slf4j-simple reads them once; the kernel compile's start once made the first
 * logger before them, and every line came out in slf4j-simple's own format).
 */
@Timeout(120)
class CommandLineLoggingTest extends GoodJobFiles {
    /** {@code --verbose}: time, thread, level in brackets, short logger name. */
    private static final Pattern VERBOSE_LINE = Pattern.compile("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} \\[[^]]+] \\[(DEBUG|INFO|WARN|ERROR)] [A-Za-z0-9$]+ - .*");

    @Test
    void verboseLinesHaveTheCommandLinesFormat() throws Exception {
        List<String> lines = run("--verbose");
        assertTrue(lines.stream().anyMatch(l -> l.contains("[DEBUG]")), "no debug line: " + lines);
        for (String line : lines) {
            assertTrue(VERBOSE_LINE.matcher(line).matches(), "not in --verbose's format: " + line);
        }
    }

    @Test
    void quietPrintsNothing() throws Exception {
        assertEquals(List.of(), run("--quiet"));
    }

    /** The child's standard error, less the JVM's own warnings (the incubator module, the test run's flags). */
    private List<String> run(String option) throws Exception {
        Path err = dir.resolve("stderr.txt");
        Process child = new ProcessBuilder(ChildJvm.command(Main.class, "compute", "--input", x.toString(), "--weights",
                w.toString(), "--output", out.toString(), option)).redirectError(err.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertTrue(child.waitFor(100, TimeUnit.SECONDS), "the child JVM did not finish");
        assertEquals(0, child.exitValue(), Files.readString(err, StandardCharsets.UTF_8));
        return Files.readAllLines(err, StandardCharsets.UTF_8).stream()
                .filter(l -> !l.startsWith("WARNING: ")).toList();
    }
}
