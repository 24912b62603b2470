package io.numarrow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * jvm.flags is the one list of the JVM flags numarrow needs: the build, the launcher and the tests read
 * it, and any other file that shows the list (for a user to copy) must show all of it.
 */
class JvmFlagsTest {
    private static final Path REPO = JvmFlags.repositoryRoot().toAbsolutePath().normalize();

    /** What marks a copy of the list: the incubator module, in a command line or a JSON array. */
    private static final Pattern LIST_MARK = Pattern.compile("--add-modules[=\\s\",]+jdk\\.incubator\\.vector");

    /** Files that run code: they must read jvm.flags, never hold a copy. */
    private static final Set<String> CODE_SUFFIXES = Set.of(".java", ".sh", ".py", ".mjs", ".xml");

    @Test
    void commentsAndBlankLinesAreSkipped() {
        assertEquals(List.of("--a=b", "-Xc"), JvmFlags.parse(List.of("# header", "", "  --a=b  ", "-Xc # why", "   # indented")));
    }

    @Test
    void theFileNamesTheFlagsNumarrowNeeds() {
        List<String> flags = JvmFlags.ofThisRepository();
        assertTrue(flags.stream().anyMatch(f -> f.startsWith("--add-modules") && f.endsWith("jdk.incubator.vector")),
                flags.toString());
        assertTrue(flags.contains("--enable-native-access=ALL-UNNAMED"), flags.toString());
        for (String flag : flags) {
            assertFalse(flag.contains(" "), "one flag per line, without spaces: '" + flag + "'");
        }
    }

    /** Surefire started this JVM with the pom's argLine, which reads jvm.flags and spark.jvm.flags. */
    @Test
    void thePomGivesTheTestJvmEveryFlag() {
        List<String> arguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
        List<String> flags = new ArrayList<>(JvmFlags.ofThisRepository());
        List<String> spark = JvmFlags.read(REPO.resolve(JvmFlags.SPARK_FILE_NAME));
        assertTrue(spark.contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"), spark.toString());
        flags.addAll(spark);
        for (String flag : flags) {
            assertTrue(arguments.contains(flag), "the test JVM lacks " + flag + " (pom.xml argLine); it has " + arguments);
        }
    }

    /** Spark's list lives in spark.jvm.flags alone: code reads it, as run-local.sh does. */
    @Test
    void noCodeFileHoldsACopyOfSparksFlags() throws Exception {
        List<String> problems = new ArrayList<>();
        try (Stream<Path> files = Files.walk(REPO)) {
            for (Path file : files.filter(Files::isRegularFile).filter(JvmFlagsTest::isProjectText).toList()) {
                String name = REPO.relativize(file).toString();
                boolean code = CODE_SUFFIXES.stream().anyMatch(name::endsWith) || name.equals("numarrow");
                if (code && !name.endsWith("JvmFlagsTest.java")
                        && Files.readString(file, StandardCharsets.UTF_8).contains(SPARK_LIST_MARK)) {
                    problems.add(name + " holds its own copy of Spark's JVM flags; read spark.jvm.flags instead");
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        String runLocal = Files.readString(REPO.resolve("examples/run-local.sh"), StandardCharsets.UTF_8);
        assertTrue(runLocal.contains(JvmFlags.SPARK_FILE_NAME), "examples/run-local.sh no longer reads spark.jvm.flags");
    }

    /** A flag of Spark's list that nothing else of numarrow's needs. */
    private static final String SPARK_LIST_MARK = "--add-opens=java.base/sun.util.calendar";

    /** Runs the launcher's own line that reads jvm.flags and compares what bash made of it. */
    @Test
    void theLauncherReadsTheSameFlags() throws Exception {
        String launcher = Files.readString(REPO.resolve("numarrow"), StandardCharsets.UTF_8);
        String readLine = launcher.lines().filter(l -> l.startsWith("mapfile -t JVM_FLAGS")).findFirst()
                .orElseThrow(() -> new AssertionError("the launcher no longer sets JVM_FLAGS with mapfile from jvm.flags"));
        assertTrue(readLine.contains("jvm.flags"), readLine);
        ProcessBuilder builder = new ProcessBuilder("bash", "-c", readLine + "\nprintf '%s\\n' \"${JVM_FLAGS[@]}\"")
                .redirectErrorStream(true);
        builder.environment().put("ROOT", REPO.toString());
        Process bash = builder.start();
        String out;
        try (var in = bash.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(bash.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, bash.exitValue(), out);
        assertEquals(JvmFlags.ofThisRepository(), out.lines().toList());
    }

    @Test
    void noOtherFileHoldsAStaleCopy() throws Exception {
        List<String> flags = JvmFlags.ofThisRepository();
        List<String> problems = new ArrayList<>();
        try (Stream<Path> files = Files.walk(REPO)) {
            for (Path file : files.filter(Files::isRegularFile).filter(JvmFlagsTest::isProjectText).toList()) {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                Matcher mark = LIST_MARK.matcher(text);
                String name = REPO.relativize(file).toString();
                boolean code = CODE_SUFFIXES.stream().anyMatch(name::endsWith) || name.equals("numarrow");
                while (mark.find()) {
                    if (code) {
                        problems.add(name + " holds its own copy of the JVM flags; read jvm.flags instead");
                        break;
                    }
                    // each copy separately: its paragraph (up to blank lines) must show every flag
                    String copy = paragraphAround(text, mark.start());
                    for (String flag : flags) {
                        if (!shows(copy, flag)) {
                            problems.add(name + ": the copy of the JVM flags at offset " + mark.start() + " lacks " + flag);
                        }
                    }
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    private static final Pattern BLANK_LINE = Pattern.compile("\\n[ \\t]*\\n");

    /** The text between the blank lines (or file ends) around {@code at}. */
    private static String paragraphAround(String text, int at) {
        int start = 0;
        Matcher blank = BLANK_LINE.matcher(text);
        int end = text.length();
        while (blank.find()) {
            if (blank.end() <= at) {
                start = blank.end();
            } else {
                end = blank.start();
                break;
            }
        }
        return text.substring(start, end);
    }

    /** A flag {@code --k=v} also counts when written {@code --k v} or {@code "--k", "v"}. */
    private static boolean shows(String text, String flag) {
        if (text.contains(flag)) {
            return true;
        }
        int eq = flag.indexOf('=');
        return eq > 0 && Pattern.compile(Pattern.quote(flag.substring(0, eq)) + "[\\s\",]+"
                + Pattern.quote(flag.substring(eq + 1))).matcher(text).find();
    }

    private static boolean isProjectText(Path file) {
        Path relative = REPO.relativize(file);
        String first = relative.getName(0).toString();
        if (first.equals("target") || first.startsWith(".git") || first.equals("data")
                || relative.toString().equals(JvmFlags.FILE_NAME)) {
            return false;
        }
        String name = relative.getFileName().toString();
        return name.equals("numarrow") || name.endsWith(".md") || name.endsWith(".ipynb") || name.endsWith(".json")
                || CODE_SUFFIXES.stream().anyMatch(name::endsWith);
    }
}
