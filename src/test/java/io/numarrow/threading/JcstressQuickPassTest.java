package io.numarrow.threading;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The short jcstress pass of {@code mvn test} (and so of {@code ./numarrow test} and CI): every test in
 * src/jcstress/java once, in one JVM configuration (C2 only, all actors compiled together), two
 * 200 ms iterations each, in a child JVM. Fails on any forbidden outcome, error or timeout. A
 * weakened ordering that jcstress catches in a full run shows here too when each test gets its samples
 * (docs/testing.md says which); {@code ./numarrow stress} runs the long form.
 */
class JcstressQuickPassTest {
    /** jcstress's own options for the pass; the forks inherit the host's JVM flags. */
    static final List<String> QUICK_PASS = List.of("-m", "quick", "-iters", "2",
            "-jvmArgs", "-XX:-TieredCompilation", "-sc", "false", "-v");
    /** A pass takes well under a minute on an idle 2-CPU machine; a loaded one gets ample slack. */
    static final long TIMEOUT_MINUTES = 10;
    /** jcstress's closing tally: {@code (Results: 19 planned; 19 passed, 0 failed, 0 soft errs, 0 hard errs)}. */
    static final Pattern TALLY = Pattern.compile(
            "\\(Results: (\\d+) planned; (\\d+) passed, (\\d+) failed, (\\d+) soft errs, (\\d+) hard errs\\)");

    @Test
    void noForbiddenOutcome() throws Exception {
        Path repo = Path.of(System.getProperty("numarrow.repo", "."));
        Path classes = repo.resolve("target/jcstress-classes");
        assertTrue(Files.isRegularFile(classes.resolve("META-INF/TestList")),
                "no jcstress tests compiled in " + classes + " (the jcstress-compile execution of pom.xml)");
        Path work = repo.resolve("target/jcstress-quick-pass");
        Files.createDirectories(work);
        Path log = work.resolve("console.txt");

        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String flags = System.getProperty("numarrow.jvm.flags", ""); // the pom's, through surefire
        assertTrue(!flags.isBlank(), "system property numarrow.jvm.flags not set (pom.xml's surefire configuration)");
        command.addAll(Arrays.asList(flags.trim().split("\\s+")));
        command.addAll(List.of("-cp", classes + File.pathSeparator + jcstressClasspath(repo),
                "org.openjdk.jcstress.Main"));
        command.addAll(QUICK_PASS);
        command.addAll(List.of("-r", work.resolve("results").toString()));

        // output to a file, not a pipe, so that the wait below bounds the test even if jcstress hangs;
        // jcstress writes its raw results file into the working directory
        Process child = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        boolean finished = child.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES);
        if (!finished) {
            child.destroyForcibly().waitFor();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        String report = output.contains("RUN RESULTS:") ? output.substring(output.indexOf("RUN RESULTS:")) : output;
        if (!finished) {
            fail("jcstress did not finish in " + TIMEOUT_MINUTES + " min; its output is in " + log + "\n" + tail(output));
        }
        assertEquals(0, child.exitValue(), "jcstress failed (forbidden outcome, error or timeout); " + log + "\n" + report);
        Matcher m = TALLY.matcher(output);
        String tally = null;
        while (m.find()) {
            tally = m.group();
        }
        assertTrue(tally != null, "no jcstress tally in the output:\n" + tail(output));
        m = TALLY.matcher(tally);
        assertTrue(m.matches());
        int planned = Integer.parseInt(m.group(1));
        assertTrue(planned > 0, "jcstress ran no tests:\n" + report);
        assertEquals(planned + " passed, 0 failed, 0 soft errs, 0 hard errs",
                m.group(2) + " passed, " + m.group(3) + " failed, " + m.group(4) + " soft errs, " + m.group(5) + " hard errs",
                report);
        assertTrue(report.contains("Failed tests: No matches.") && report.contains("Error tests: No matches."), report);
        System.out.println(report); // the samples per test, in target/surefire-reports
    }

    /** numarrow's runtime classpath (written by the build) and jcstress's jars from the test classpath. */
    private static String jcstressClasspath(Path repo) throws Exception {
        List<String> entries = new ArrayList<>();
        entries.add(repo.resolve("target/classes").toString());
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(e).getFileName().toString();
            if (name.startsWith("jcstress-core-") || name.startsWith("jopt-simple-")) {
                entries.add(e);
            }
        }
        Path runtime = repo.resolve("target/runtime.classpath");
        if (Files.isRegularFile(runtime)) {
            entries.add(Files.readString(runtime, StandardCharsets.UTF_8).trim());
        }
        return entries.stream().filter(s -> !s.isEmpty()).collect(Collectors.joining(File.pathSeparator));
    }

    private static String tail(String output) {
        String[] lines = output.split("\n");
        return String.join("\n", Arrays.copyOfRange(lines, Math.max(0, lines.length - 60), lines.length));
    }
}
