package io.numarrow.notebooks;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * Runs the notebooks in {@code notebooks/} top to bottom through JShell, as the IJava/JJava
 * kernels would, and can write each cell's outputs back into its {@code .ipynb}.
 *
 * <p>To refresh the saved outputs after changing a notebook (from the repository root):
 * {@code mvn -o -q test -Dtest=NotebooksTest -Dnumarrow.notebooks.save=true}, or run this class's
 * {@code main} with the test classpath and numarrow's JVM flags.
 */
final class NotebookRunner {
    /** What running one notebook gave: each code cell's outputs, and notes on skipped magics. */
    record Run(Ipynb notebook, List<List<CellOutput>> cells, List<String> notes) {
    }

    private final Path repository;

    NotebookRunner(Path repository) {
        this.repository = repository.toAbsolutePath().normalize();
    }

    Path notebooksFolder() {
        return repository.resolve("notebooks");
    }

    List<Path> notebooks() throws IOException {
        try (Stream<Path> files = Files.list(notebooksFolder())) {
            return files.filter(p -> p.getFileName().toString().endsWith(".ipynb")).sorted().toList();
        }
    }

    /** Runs every code cell of {@code file} in order; the first failing cell stops the run. */
    Run run(Path file) throws IOException {
        Ipynb notebook = Ipynb.read(file);
        if (!notebook.kernelLanguage().equals("java")) {
            throw new IOException(file + ": kernelspec language is '" + notebook.kernelLanguage()
                    + "', expected 'java' (IJava/JJava)");
        }
        List<String> sources = notebook.codeCells();
        List<List<CellOutput>> outputs = new ArrayList<>();
        List<Path> classpath = classpath();
        long start = System.nanoTime();
        try (NotebookSession session = new NotebookSession(file.getParent(), classpath, providedJars(classpath))) {
            System.out.printf("%s: JShell started in %.1f s%n", file.getFileName(), (System.nanoTime() - start) / 1e9);
            for (int i = 0; i < sources.size(); i++) {
                try {
                    long cellStart = System.nanoTime();
                    outputs.add(session.runCell(sources.get(i)));
                    System.out.printf("%s: cell %d ran in %.1f s%n", file.getFileName(), i, (System.nanoTime() - cellStart) / 1e9);
                } catch (RuntimeException e) {
                    CellFailure failure = new CellFailure(file.getFileName().toString(), i, sources.get(i),
                            e.getMessage());
                    failure.initCause(e);
                    throw failure;
                }
            }
            return new Run(notebook, outputs, session.notes());
        }
    }

    /** Writes a run's outputs into its notebook, numbering the cells as a fresh kernel would. */
    static void save(Run run) throws IOException {
        for (int i = 0; i < run.cells().size(); i++) {
            run.notebook().setOutputs(i, i + 1, run.cells().get(i));
        }
        run.notebook().write();
    }

    /**
     * numarrow's classes and the jars of its runtime classpath, taken from this JVM's classpath
     * (under Surefire the jar of {@code ./numarrow demo} may not exist yet). Compiled classes come
     * first, so a stale {@code target/numarrow.jar} picked up by {@code %jars} cannot shadow them.
     *
     * <p>Only the runtime jars the build listed in {@code target/runtime.classpath} are kept: JShell
     * compiles each snippet against the whole classpath, and Spark's (provided) and the benchmarks'
     * jars made that three times slower and brought a second SLF4J provider.
     */
    List<Path> classpath() throws IOException {
        Set<Path> entries = new LinkedHashSet<>();
        entries.add(repository.resolve("target/classes"));
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            addWithManifest(Path.of(entry), entries);
        }
        Set<String> runtimeJars = runtimeJarNames();
        List<Path> result = new ArrayList<>();
        for (Path p : entries) {
            boolean jar = p.getFileName().toString().endsWith(".jar");
            if (!Files.exists(p) || p.startsWith(repository.resolve("target/test-classes"))
                    || jar && p.getFileName().toString().startsWith("surefire")
                    || jar && runtimeJars != null && !runtimeJars.contains(p.getFileName().toString())) {
                continue;
            }
            result.add(p);
        }
        return result;
    }

    /**
     * The jar names {@code classpath} provides: its jars, and {@code numarrow.jar}, for which the
     * compiled classes stand in.
     */
    static Set<String> providedJars(List<Path> classpath) {
        Set<String> names = new LinkedHashSet<>();
        names.add("numarrow.jar");
        for (Path p : classpath) {
            names.add(p.getFileName().toString());
        }
        return names;
    }

    /**
     * The file names of numarrow's runtime jars, from {@code target/runtime.classpath} (written by
     * the build before the tests run); null if unknown.
     */
    private Set<String> runtimeJarNames() throws IOException {
        Path listing = repository.resolve("target/runtime.classpath");
        if (!Files.isRegularFile(listing)) {
            return null;
        }
        Set<String> names = new LinkedHashSet<>();
        for (String entry : Files.readString(listing).trim().split(File.pathSeparator)) {
            if (!entry.isBlank()) {
                names.add(Path.of(entry).getFileName().toString());
            }
        }
        return names;
    }

    /** Surefire may run tests from a jar whose manifest lists the real classpath. */
    private static void addWithManifest(Path entry, Set<Path> into) throws IOException {
        Path absolute = entry.toAbsolutePath().normalize();
        if (!into.add(absolute) || !Files.isRegularFile(absolute) || !absolute.toString().endsWith(".jar")) {
            return;
        }
        try (JarFile jar = new JarFile(absolute.toFile())) {
            Manifest manifest = jar.getManifest();
            String listed = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
            if (listed == null || !absolute.getFileName().toString().startsWith("surefire")) {
                return;
            }
            for (String url : listed.trim().split("\\s+")) {
                // Class-Path entries are URLs relative to the jar's folder
                addWithManifest(Path.of(absolute.getParent().toUri().resolve(url)), into);
            }
        }
    }

    /** Runs every notebook and saves its outputs: {@code NotebookRunner [repository]}. */
    public static void main(String[] args) throws IOException {
        Path repo = Path.of(args.length > 0 ? args[0] : System.getProperty("numarrow.repo", "."));
        NotebookRunner runner = new NotebookRunner(repo);
        for (Path nb : runner.notebooks()) {
            Run run = runner.run(nb);
            save(run);
            System.out.println("ran and saved " + nb + " (" + run.cells().size() + " code cells)");
            run.notes().forEach(n -> System.out.println("  note: " + n));
        }
    }
}
