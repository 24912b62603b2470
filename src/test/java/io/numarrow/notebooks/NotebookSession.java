package io.numarrow.notebooks;

import io.numarrow.JvmFlags;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import jdk.jshell.DeclarationSnippet;
import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.ExpressionSnippet;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.VarSnippet;

/**
 * A JShell session that runs notebook cells the way the IJava/JJava kernels do: in a separate
 * JVM started with numarrow's flags, its working directory the notebook's folder, with the
 * kernels' line magics and the {@code display(...)} helper they put in every notebook.
 *
 * <p>A cell fails on the first snippet that is rejected (a compile error), depends on something
 * undefined, or throws.
 */
final class NotebookSession implements AutoCloseable {
    /** Starts a line the {@code display} stub writes on stdout; the runner turns it into an output. */
    private static final String MARK = "\u001eNUMARROW-NB:";
    private static final String END = "\u001eNUMARROW-NB-END\n";

    /**
     * The kernels' {@code display(Object)} and {@code display(Object, String...)}, and the
     * renderer of a cell's last value: images become {@code image/png}, text stays text. Written
     * with full class names so that it adds no imports a notebook could silently rely on.
     */
    private static final List<String> PRELUDE = List.of("""
            void numarrowNbEmit(String kind, Object value, String... as) {
                java.util.Map<String, String> data = new java.util.LinkedHashMap<>();
                java.util.List<String> wanted = java.util.Arrays.asList(as);
                if (value instanceof java.awt.image.RenderedImage image
                        && (wanted.isEmpty() || wanted.contains("image/png"))) {
                    java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
                    try {
                        javax.imageio.ImageIO.write(image, "png", png);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    data.put("image/png", java.util.Base64.getEncoder().encodeToString(png.toByteArray()));
                }
                for (String mime : wanted) {
                    if (!mime.startsWith("image/") && value instanceof CharSequence text) {
                        data.put(mime, text.toString());
                    }
                }
                data.put("text/plain", String.valueOf(value));
                StringBuilder line = new StringBuilder("\\u001eNUMARROW-NB:").append(kind);
                java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
                data.forEach((mime, text) -> line.append(' ').append(mime).append('=')
                        .append(b64.encodeToString(text.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
                System.out.flush();
                System.out.print(line.append('\\n'));
                System.out.flush();
            }""", """
            String display(Object value, String... as) {
                numarrowNbEmit("display", value, as);
                return java.util.UUID.randomUUID().toString();
            }""", """
            String display(Object value) {
                return display(value, new String[0]);
            }""", """
            void numarrowNbResult(Object value) {
                if (value != null) {
                    numarrowNbEmit("result", value);
                }
            }""");

    private final JShell shell;
    private final Path workingDirectory;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final List<String> notes = new ArrayList<>();
    private final Set<String> providedJars;

    /**
     * @param workingDirectory the notebook's folder: relative paths in cells and magics start there
     * @param classpath        numarrow and its dependencies, added before any {@code %jars}
     * @param providedJars     file names of jars that {@code classpath} already provides: a
     *                         {@code %jars} match of the same name is not added again (two copies
     *                         of Arrow's allocator jar make Arrow warn)
     */
    NotebookSession(Path workingDirectory, List<Path> classpath, Set<String> providedJars) {
        this.workingDirectory = workingDirectory.toAbsolutePath().normalize();
        this.providedJars = Set.copyOf(providedJars);
        List<String> vmOptions = new ArrayList<>(JvmFlags.ofThisRepository());
        // java.nio resolves relative paths against user.dir, so cells see the notebook's folder
        // as Jupyter gives it to the kernel.
        vmOptions.add("-Duser.dir=" + this.workingDirectory);
        vmOptions.add("-Djava.awt.headless=true");
        vmOptions.add("-Xmx2g");
        shell = JShell.builder()
                .in(InputStream.nullInputStream())
                .out(new PrintStream(out, true, StandardCharsets.UTF_8))
                .err(new PrintStream(err, true, StandardCharsets.UTF_8))
                .remoteVMOptions(vmOptions.toArray(String[]::new))
                .build();
        try {
            for (Path entry : classpath) {
                shell.addToClasspath(entry.toString());
            }
            for (String snippet : PRELUDE) {
                List<CellOutput> ignored = runSnippets(snippet, false);
                if (!ignored.isEmpty()) {
                    throw new IllegalStateException("the display stub printed " + ignored);
                }
            }
        } catch (RuntimeException e) {
            shell.close();
            throw e;
        }
    }

    /** Things the session skipped, such as {@code %maven} without a network. */
    List<String> notes() {
        return List.copyOf(notes);
    }

    /**
     * Runs one code cell and returns what it printed, displayed and evaluated to, in order.
     *
     * @throws IllegalStateException describing the first snippet that failed
     */
    List<CellOutput> runCell(String source) {
        LineMagics.Split split = LineMagics.split(source);
        for (LineMagics.Magic magic : split.magics()) {
            applyMagic(magic);
        }
        return runSnippets(split.code(), true);
    }

    private void applyMagic(LineMagics.Magic magic) {
        switch (magic.name()) {
            case "jars", "classpath" -> {
                for (String glob : magic.args()) {
                    List<Path> found;
                    try {
                        found = LineMagics.resolveGlob(workingDirectory, glob);
                    } catch (IOException e) {
                        throw new IllegalStateException("%" + magic.name() + " " + glob + ": " + e.getMessage(), e);
                    }
                    if (found.isEmpty()) {
                        notes.add("%" + magic.name() + " " + glob + " matched nothing (not built yet?);"
                                + " numarrow's own classpath is in use");
                    }
                    for (Path p : found) {
                        String name = p.getFileName().toString();
                        if (magic.name().equals("jars") && !name.endsWith(".jar") || providedJars.contains(name)) {
                            continue;
                        }
                        shell.addToClasspath(p.toString());
                    }
                }
            }
            case "maven", "addMavenDependency", "addMavenDependencies", "mavenRepo", "addMavenRepo" ->
                    notes.add("%" + magic.name() + " " + String.join(" ", magic.args())
                            + " skipped: no Maven resolution offline; numarrow's own classpath is in use");
            default -> throw new IllegalStateException("unknown line magic %" + magic.name());
        }
    }

    private List<CellOutput> runSnippets(String code, boolean renderLastValue) {
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        String remaining = code;
        SnippetEvent last = null;
        try {
            while (!remaining.isBlank()) {
                SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
                if (info.completeness() == SourceCodeAnalysis.Completeness.EMPTY) {
                    break;
                }
                if (info.completeness() == SourceCodeAnalysis.Completeness.DEFINITELY_INCOMPLETE
                        || info.completeness() == SourceCodeAnalysis.Completeness.CONSIDERED_INCOMPLETE) {
                    throw new IllegalStateException("incomplete source: " + remaining.strip());
                }
                String snippet = info.source();
                remaining = info.remaining();
                last = check(shell.eval(snippet), snippet);
            }
            if (renderLastValue && last != null) {
                String valueName = valueName(last);
                if (valueName != null) {
                    check(shell.eval("numarrowNbResult(" + valueName + ");"), "(rendering the cell's value)");
                }
            }
        } catch (RuntimeException e) {
            drain();
            String printed = printedText();
            throw new IllegalStateException(e.getMessage()
                    + (printed.isBlank() ? "" : "\n--- the cell printed before failing ---\n" + printed), e);
        }
        drain();
        return collectOutputs();
    }

    /** What the cell printed on stdout and stderr (without display data), clearing both. */
    private String printedText() {
        StringBuilder text = new StringBuilder();
        for (String line : (strip(text(out)) + strip(text(err))).split("(?<=\n)")) {
            if (!line.startsWith(MARK)) {
                text.append(line);
            }
        }
        out.reset();
        err.reset();
        return text.toString();
    }

    /** The name under which the cell's last value can be read, or null when it has none. */
    private static String valueName(SnippetEvent event) {
        Snippet s = event.snippet();
        if (s instanceof ExpressionSnippet e && !"void".equals(e.typeName())) {
            return e.name();
        }
        if (s instanceof VarSnippet v && v.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND
                && !"void".equals(v.typeName())) {
            return v.name();
        }
        return null;
    }

    /** Fails on a rejected snippet, an unresolved one or an exception; returns the main event. */
    private SnippetEvent check(List<SnippetEvent> events, String source) {
        SnippetEvent main = null;
        for (SnippetEvent event : events) {
            if (event.causeSnippet() != null) {
                continue; // an update of an earlier snippet this one replaced
            }
            main = event;
            Snippet snippet = event.snippet();
            switch (event.status()) {
                case REJECTED -> throw new IllegalStateException("does not compile: " + source.strip() + "\n"
                        + shell.diagnostics(snippet).map(d -> describe(d, snippet)).collect(Collectors.joining("\n")));
                case RECOVERABLE_DEFINED, RECOVERABLE_NOT_DEFINED -> throw new IllegalStateException(
                        "refers to something undefined " + shell.unresolvedDependencies((DeclarationSnippet) snippet).toList()
                                + ": " + source.strip());
                default -> {
                }
            }
            JShellException exception = event.exception();
            if (exception != null) {
                throw new IllegalStateException("threw " + describe(exception) + "\n  in: " + source.strip());
            }
        }
        if (main == null) {
            throw new IllegalStateException("JShell made nothing of: " + source.strip());
        }
        return main;
    }

    private static String describe(Diag d, Snippet s) {
        String src = s.source();
        long pos = Math.max(0, Math.min(d.getPosition(), src.length()));
        int lineStart = src.lastIndexOf('\n', (int) pos - 1) + 1;
        int lineEnd = src.indexOf('\n', (int) pos);
        String line = src.substring(lineStart, lineEnd < 0 ? src.length() : lineEnd);
        return (d.isError() ? "error: " : "warning: ") + d.getMessage(null) + "\n    " + line;
    }

    private static String describe(JShellException e) {
        StringBuilder text = new StringBuilder();
        if (e instanceof EvalException ee) {
            text.append(ee.getExceptionClassName()).append(": ").append(ee.getMessage());
        } else if (e instanceof UnresolvedReferenceException ure) {
            text.append("unresolved reference in ").append(ure.getSnippet().source());
        } else {
            text.append(e);
        }
        for (StackTraceElement frame : e.getStackTrace()) {
            text.append("\n    at ").append(frame);
        }
        Throwable cause = e.getCause();
        while (cause != null) {
            text.append("\n  caused by ").append(cause instanceof EvalException ce
                    ? ce.getExceptionClassName() + ": " + ce.getMessage() : cause.toString());
            cause = cause.getCause();
        }
        return text.toString();
    }

    /**
     * Waits until the remote JVM's output so far has arrived: JShell forwards it on another
     * thread, so a marker printed last tells when everything before it is in.
     */
    private void drain() {
        shell.eval("System.out.print(\"" + escape(END) + "\"); System.out.flush();"
                + " System.err.print(\"" + escape(END) + "\"); System.err.flush();");
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!(text(out).endsWith(END) && text(err).endsWith(END))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the notebook JVM's output did not arrive within 30 s");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for cell output", e);
            }
        }
    }

    private static String escape(String s) {
        return s.replace("\u001e", "\\u001e").replace("\n", "\\n");
    }

    private static String text(ByteArrayOutputStream stream) {
        return stream.toString(StandardCharsets.UTF_8);
    }

    private List<CellOutput> collectOutputs() {
        String stdout = strip(text(out));
        String stderr = strip(text(err));
        out.reset();
        err.reset();
        List<CellOutput> outputs = new ArrayList<>();
        StringBuilder plain = new StringBuilder();
        for (String line : stdout.split("(?<=\n)")) {
            if (line.startsWith(MARK)) {
                if (!plain.isEmpty()) {
                    outputs.add(new CellOutput.Stream("stdout", plain.toString()));
                    plain.setLength(0);
                }
                outputs.add(parseMark(line.substring(MARK.length()).strip()));
            } else {
                plain.append(line);
            }
        }
        if (!plain.isEmpty()) {
            outputs.add(new CellOutput.Stream("stdout", plain.toString()));
        }
        if (!stderr.isEmpty()) {
            outputs.add(new CellOutput.Stream("stderr", stderr));
        }
        return outputs;
    }

    private static String strip(String captured) {
        return captured.replace(END, "");
    }

    private static CellOutput parseMark(String mark) {
        String[] parts = mark.split(" ");
        Map<String, String> data = new LinkedHashMap<>();
        for (int i = 1; i < parts.length; i++) {
            int eq = parts[i].indexOf('=');
            String mime = parts[i].substring(0, eq);
            String value = new String(Base64.getDecoder().decode(parts[i].substring(eq + 1)), StandardCharsets.UTF_8);
            data.put(mime, value);
        }
        return parts[0].equals("result") ? new CellOutput.Result(data) : new CellOutput.Display(data);
    }

    @Override
    public void close() {
        shell.close();
    }
}
