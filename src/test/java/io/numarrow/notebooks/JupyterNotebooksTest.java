package io.numarrow.notebooks;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.numarrow.jupyter.KernelInstaller;
import io.numarrow.jupyter.KernelSpec;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs every notebook in {@code notebooks/} through Jupyter itself: numarrow's kernel is installed
 * (by the code {@code ./numarrow jupyter install} runs) into a temporary Jupyter data directory, and
 * {@code tools/notebooks/run_notebooks.py} executes each notebook with nbclient on the kernel its
 * metadata names. A failing cell fails the test, naming the notebook, the cell and the error; so do
 * saved outputs that a fresh run no longer gives in kind (regenerate them: notebooks/README.md).
 *
 * <p>Needs a Python with nbclient ({@code apt-get install jupyter-notebook python3-nbclient}); without
 * one the test is skipped, unless {@code NUMARROW_REQUIRE_JUPYTER=1} (CI sets it) makes that a failure.
 */
class JupyterNotebooksTest {
    private static final Path REPO = Path.of(System.getProperty("numarrow.repo", ".")).toAbsolutePath().normalize();
    private static final long NOTEBOOK_MINUTES = 5;

    @TempDir
    Path jupyterHome;

    @TestFactory
    Stream<DynamicTest> everyNotebookRunsOnTheKernel() throws IOException, InterruptedException {
        List<Path> notebooks;
        try (Stream<Path> files = Files.list(REPO.resolve("notebooks"))) {
            notebooks = files.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
        }
        assertTrue(notebooks.size() >= 3, "expected at least three notebooks, found " + notebooks);
        String python = pythonWithNbclient();
        if (python == null) {
            String why = "no Python with nbclient found (python3, /usr/bin/python3): the notebooks were not run; "
                    + "install Jupyter: apt-get install jupyter-notebook python3-nbclient";
            if ("1".equals(System.getenv("NUMARROW_REQUIRE_JUPYTER"))) {
                fail(why);
            }
            Assumptions.abort(why);
        }
        Path dataDir = jupyterHome.resolve("data");
        KernelInstaller.install(dataDir, REPO.resolve("target/jupyter"), kernelSpec());
        return notebooks.stream().map(nb -> DynamicTest.dynamicTest(nb.getFileName().toString(),
                () -> runNotebook(python, nb, dataDir)));
    }

    /**
     * numarrow's kernelspec as {@code ./numarrow jupyter install} writes it, but with this build's
     * classes and runtime jars on its classpath: the tests run before the jar is packaged.
     */
    private static KernelSpec kernelSpec() throws IOException {
        List<String> classpath = new ArrayList<>();
        classpath.add(REPO.resolve("target/classes").toString());
        String runtime = Files.readString(REPO.resolve("target/runtime.classpath")).trim();
        for (String jar : runtime.split(File.pathSeparator)) {
            if (!jar.isBlank()) {
                classpath.add(Path.of(jar).toAbsolutePath().toString());
            }
        }
        String flags = System.getProperty("numarrow.jvm.flags");
        assertTrue(flags != null && !flags.isBlank(), "the build passes numarrow.jvm.flags to the tests");
        return new KernelSpec(Path.of(System.getProperty("java.home"), "bin", "java"),
                Arrays.asList(flags.trim().split("\\s+")), classpath, KernelSpec.DEFAULT_DISPLAY_NAME);
    }

    private void runNotebook(String python, Path notebook, Path dataDir) throws IOException, InterruptedException {
        Path log = jupyterHome.resolve(notebook.getFileName() + ".log");
        ProcessBuilder pb = new ProcessBuilder(python, REPO.resolve("tools/notebooks/run_notebooks.py").toString(),
                "--check-saved", notebook.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        // Jupyter's own folders in the temporary home, so that nothing of the user's is read or written
        pb.environment().put("JUPYTER_DATA_DIR", dataDir.toString());
        pb.environment().put("JUPYTER_CONFIG_DIR", jupyterHome.resolve("config").toString());
        pb.environment().put("JUPYTER_RUNTIME_DIR", jupyterHome.resolve("runtime").toString());
        pb.environment().remove("JUPYTER_PATH");
        Process process = pb.start();
        boolean done = process.waitFor(NOTEBOOK_MINUTES, TimeUnit.MINUTES);
        if (!done) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly().waitFor();
        }
        String output = Files.readString(log);
        System.out.println(output);
        if (!done) {
            fail(notebook.getFileName() + ": did not finish within " + NOTEBOOK_MINUTES + " minutes\n" + summary(output));
        }
        if (process.exitValue() != 0) {
            fail(summary(output) + "\n(run_notebooks.py exit " + process.exitValue() + "; its whole output:)\n" + output);
        }
    }

    /** The runner's lines that say what went wrong (the failing cell and its error), without the kernel's log. */
    private static String summary(String output) {
        return output.lines().filter(l -> l.contains(".ipynb:")
                        && (l.contains(" failed: ") || l.contains("saved outputs") || l.contains("could not run")))
                .reduce((a, b) -> a + "\n" + b).orElse("(no cell named as failing; the runner's output follows)");
    }

    /** A Python that can import nbclient: the one on PATH, else Debian's (which Jupyter's own scripts use). */
    private static String pythonWithNbclient() throws InterruptedException {
        List<String> candidates = new ArrayList<>();
        String explicit = System.getenv("NUMARROW_PYTHON");
        if (explicit != null && !explicit.isBlank()) {
            candidates.add(explicit);
        }
        candidates.add("python3");
        candidates.add("/usr/bin/python3");
        for (String python : candidates) {
            try {
                Process p = new ProcessBuilder(python, "-c", "import nbclient, nbformat")
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return python;
                }
                p.destroyForcibly();
            } catch (IOException notThere) {
                // try the next one
            }
        }
        return null;
    }
}
