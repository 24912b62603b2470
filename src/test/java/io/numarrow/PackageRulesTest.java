package io.numarrow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The claims of docs/design.md about the code's shape, checked on the sources of main: the packages
 * form no cycle, no class names another numarrow package's class by its qualified name instead of
 * importing it, threads are started only where design.md says, and only {@code cli} and spark-submit's
 * {@code ScoreJob} print.
 */
class PackageRulesTest {
    private static final Path MAIN = Path.of(System.getProperty("numarrow.repo", ".")).resolve("src/main/java");
    /** A reference to a numarrow class, imported or written out: the package part. */
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.numarrow((?:\\.[a-z][a-z0-9]*)*)(?=\\.[A-Z])");
    private static final Pattern THREAD_START = Pattern.compile(
            "new Thread\\(|Thread\\.of(Platform|Virtual)\\(|Executors\\.new|addShutdownHook\\(");

    /** spark-submit's program: its rows/s lines and one-line errors go to the console like the CLI's. */
    private static final Set<String> PRINT_PLACES = Set.of("io/numarrow/spark/ScoreJob.java");
    /**
     * Where threads may start, as design.md lists them: the pool and the warm-up in threading; the job's
     * I/O stages; the closer of a file a commit replaced; shutdown hooks that delete temporary files or
     * close an executor's pool; the Jupyter kernel's start-up, which restarts rapaio's own loop threads.
     */
    private static final Set<String> THREAD_PLACES = Set.of(
            "io/numarrow/compute/BatchPipeline.java",
            "io/numarrow/io/parquet/ParquetBatchSink.java",
            "io/numarrow/io/parquet/ReadAhead.java",
            "io/numarrow/io/AtomicOutput.java",
            "io/numarrow/io/DirectPageWriter.java",
            "io/numarrow/io/ReplacedFile.java",
            "io/numarrow/spark/ExecutorResources.java",
            "io/numarrow/jupyter/launcher/RapaioKernelLauncher.java");

    /** A numarrow class written out with its package, in code (not an import). */
    private static final Pattern QUALIFIED = Pattern.compile("\\bio\\.numarrow((?:\\.[a-z][a-z0-9]*)*)\\.([A-Z]\\w*)");

    record Source(String path, String pkg, String code) {
        /**
         * The code without imports, the package line, character literals and string literals. Character
         * literals go first, so that {@code '"'} starts no string; the string pattern repeats a character
         * class rather than a group, which Pattern matches without recursing once per character (a long
         * literal overflowed the stack).
         */
        String body() {
            return code.replaceAll("(?m)^\\s*(import|package)\\s[^;]*;", "")
                    .replaceAll("'(?:\\\\u[0-9a-fA-F]{4}|\\\\.|[^'\\\\\\n])'", "' '")
                    .replaceAll("\"[^\"\\\\]*+(?:\\\\.[^\"\\\\]*+)*+\"", "\"\"");
        }

        String simpleName() {
            String file = Path.of(path).getFileName().toString();
            return file.substring(0, file.length() - ".java".length());
        }
    }

    /** Every main source, its package and its code without comments. */
    private static List<Source> sources() throws IOException {
        List<Source> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String text = Files.readString(f);
                String code = text.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\\n]*", "");
                Matcher pkg = Pattern.compile("package\\s+([\\w.]+);").matcher(code);
                String name = pkg.find() ? pkg.group(1) : "";
                out.add(new Source(MAIN.relativize(f).toString(), name, code));
            }
        }
        return out;
    }

    static Map<String, Set<String>> packageGraph(List<Source> sources) {
        Map<String, Set<String>> graph = new TreeMap<>();
        for (Source s : sources) {
            Set<String> uses = graph.computeIfAbsent(s.pkg(), k -> new TreeSet<>());
            Matcher m = REFERENCE.matcher(s.code());
            while (m.find()) {
                String used = "io.numarrow" + m.group(1);
                if (!used.equals(s.pkg())) {
                    uses.add(used);
                }
            }
        }
        return graph;
    }

    /** A cycle in the graph, as a list of packages ending where it began; empty when there is none. */
    static List<String> cycle(Map<String, Set<String>> graph) {
        Map<String, Integer> state = new TreeMap<>(); // 1 on the path, 2 done
        for (String start : graph.keySet()) {
            List<String> found = visit(start, graph, state, new ArrayList<>());
            if (!found.isEmpty()) {
                return found;
            }
        }
        return List.of();
    }

    private static List<String> visit(String node, Map<String, Set<String>> graph, Map<String, Integer> state, List<String> path) {
        Integer s = state.get(node);
        if (s != null && s == 2) {
            return List.of();
        }
        if (s != null) {
            List<String> c = new ArrayList<>(path.subList(path.indexOf(node), path.size()));
            c.add(node);
            return c;
        }
        state.put(node, 1);
        path.add(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            List<String> found = visit(next, graph, state, path);
            if (!found.isEmpty()) {
                return found;
            }
        }
        path.removeLast();
        state.put(node, 2);
        return List.of();
    }

    @Test
    void thePackagesFormNoCycle() throws IOException {
        Map<String, Set<String>> graph = packageGraph(sources());
        assertEquals(List.of(), cycle(graph), "package cycle in src/main/java; the graph: " + graph);
        assertTrue(graph.get("io.numarrow").isEmpty(), "the root package uses no other: " + graph.get("io.numarrow"));
        for (String low : List.of("io.numarrow.kernels", "io.numarrow.numa", "io.numarrow.tensor")) {
            assertEquals(Set.of("io.numarrow"), graph.get(low), low + " uses only the root package");
        }
    }

    /** Shown to find a cycle, so that the test above can fail. */
    @Test
    void aCycleIsFound() {
        Map<String, Set<String>> graph = packageGraph(List.of(
                new Source("a/A.java", "io.numarrow.io", "import io.numarrow.compute.ComputeJob;"),
                new Source("b/B.java", "io.numarrow.compute", "io.numarrow.io.BatchSource s;"),
                new Source("c/C.java", "io.numarrow.kernels", "")));
        assertEquals(List.of("io.numarrow.compute", "io.numarrow.io", "io.numarrow.compute"), cycle(graph));
    }

    /**
     * Another package's class is imported, not written out; the one exception is a simple name this
     * package has a class of its own for (the deprecated forwarding types in compute), which an import
     * cannot serve.
     */
    @Test
    void otherPackagesClassesAreImportedNotWrittenOut() throws IOException {
        List<Source> sources = sources();
        Map<String, Set<String>> classesOfPackage = new TreeMap<>();
        for (Source s : sources) {
            classesOfPackage.computeIfAbsent(s.pkg(), k -> new TreeSet<>()).add(s.simpleName());
        }
        List<String> written = new ArrayList<>();
        for (Source s : sources) {
            Matcher m = QUALIFIED.matcher(s.body());
            while (m.find()) {
                String pkg = "io.numarrow" + m.group(1);
                boolean clash = classesOfPackage.getOrDefault(s.pkg(), Set.of()).contains(m.group(2));
                if (!pkg.equals(s.pkg()) && !clash) {
                    written.add(s.path() + ": " + m.group());
                }
            }
        }
        assertEquals(List.of(), written, "import these instead");
    }

    @Test
    void threadsStartOnlyWhereDesignMdSays() throws IOException {
        List<String> elsewhere = new ArrayList<>();
        for (Source s : sources()) {
            if (THREAD_START.matcher(s.code()).find() && !s.pkg().equals("io.numarrow.threading")
                    && !THREAD_PLACES.contains(s.path())) {
                elsewhere.add(s.path());
            }
        }
        assertEquals(List.of(), elsewhere, "threads started outside threading and the places design.md lists");
    }

    @Test
    void onlyCommandsPrint() throws IOException {
        List<String> printing = new ArrayList<>();
        for (Source s : sources()) {
            boolean command = s.pkg().equals("io.numarrow.cli") || PRINT_PLACES.contains(s.path());
            if (s.code().matches("(?s).*System\\.(out|err)\\b.*") && !command) {
                printing.add(s.path());
            }
        }
        assertEquals(List.of(), printing, "only cli and spark-submit's ScoreJob print; others log or throw");
    }
}
