package io.numarrow.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The JShell runner behind {@link NotebooksTest}: it must fail where a kernel would show an error. */
class NotebookSessionTest {
    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void runsCellsLikeTheKernelAndFailsOnErrors(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("here.txt"), "from the notebook folder");
        Path repo = Path.of(System.getProperty("numarrow.repo", "."));
        List<Path> classpath = new NotebookRunner(repo).classpath();
        try (NotebookSession session = new NotebookSession(dir, classpath, NotebookRunner.providedJars(classpath))) {
            // state carries across cells; the last expression is the cell's value
            assertEquals(List.of(), session.runCell("int x = 40;"));
            assertEquals(List.of(), session.runCell("System.getProperty(\"no.such.property\")"), "null shows nothing");
            List<CellOutput> value = session.runCell("System.out.println(\"hi\");\nx + 2");
            assertEquals(new CellOutput.Stream("stdout", "hi\n"), value.get(0));
            assertEquals("42", assertInstanceOf(CellOutput.Result.class, value.get(1)).data().get("text/plain"));

            // relative java.nio paths start in the notebook's folder, as under Jupyter
            List<CellOutput> read = session.runCell(
                    "java.nio.file.Files.readString(java.nio.file.Path.of(\"here.txt\"))");
            assertEquals("from the notebook folder",
                    assertInstanceOf(CellOutput.Result.class, read.get(0)).data().get("text/plain"));

            // display(image) publishes a PNG, as IJava's display does
            List<CellOutput> shown = session.runCell("""
                    var img = new java.awt.image.BufferedImage(3, 2, java.awt.image.BufferedImage.TYPE_INT_RGB);
                    display(img);
                    System.out.println("after");""");
            CellOutput.Display display = assertInstanceOf(CellOutput.Display.class, shown.get(0));
            byte[] png = Base64.getDecoder().decode(display.data().get("image/png"));
            assertEquals((byte) 0x89, png[0]);
            assertEquals("PNG", new String(png, 1, 3));
            assertEquals(new CellOutput.Stream("stdout", "after\n"), shown.get(1));

            // numarrow is on the classpath
            List<CellOutput> ops = session.runCell("io.numarrow.compute.Ops.parse(\"matmul,softmax\").needsWeights()");
            assertEquals("true", assertInstanceOf(CellOutput.Result.class, ops.get(0)).data().get("text/plain"));

            IllegalStateException thrown = assertThrows(IllegalStateException.class,
                    () -> session.runCell("System.out.println(\"before\");\nint y = 1;\nint z = y / 0;"));
            assertTrue(thrown.getMessage().contains("java.lang.ArithmeticException"), thrown.getMessage());
            assertTrue(thrown.getMessage().endsWith("--- the cell printed before failing ---\nbefore\n"), thrown.getMessage());
            assertEquals(List.of(), session.runCell("int after = 1;"), "a failed cell's output does not leak into the next");

            IllegalStateException compile = assertThrows(IllegalStateException.class,
                    () -> session.runCell("String s = 42;"));
            assertTrue(compile.getMessage().contains("does not compile"), compile.getMessage());

            IllegalStateException undefined = assertThrows(IllegalStateException.class,
                    () -> session.runCell("void f() { g(); }"));
            assertTrue(undefined.getMessage().contains("undefined"), undefined.getMessage());

            IllegalStateException noImport = assertThrows(IllegalStateException.class,
                    () -> session.runCell("Path p = null;"));
            assertTrue(noImport.getMessage().contains("does not compile"), noImport.getMessage());

            // %jars of something not built yet is noted, %maven skipped with a note, unknown magics fail
            session.runCell("%jars ../nothing-here/*.jar\n%maven io.numarrow:numarrow:0.1.0");
            assertEquals(2, session.notes().size(), session.notes().toString());
            assertThrows(IllegalStateException.class, () -> session.runCell("%frobnicate"));
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aFailingCellNamesTheNotebookTheCellAndItsSource(@TempDir Path dir) throws Exception {
        String cells = """
                {"cells": [
                  {"cell_type": "code", "metadata": {}, "outputs": [], "source": ["int a = 1;"]},
                  {"cell_type": "markdown", "metadata": {}, "source": ["# not code"]},
                  {"cell_type": "code", "metadata": {}, "outputs": [], "source": ["int b = a;\\n", "int c = b / 0;"]}
                 ],
                 "metadata": {"kernelspec": {"display_name": "Java", "language": "%s", "name": "java"}},
                 "nbformat": 4, "nbformat_minor": 5}
                """;
        Path broken = Files.writeString(dir.resolve("broken.ipynb"), cells.formatted("java"));
        NotebookRunner runner = new NotebookRunner(Path.of(System.getProperty("numarrow.repo", ".")));
        CellFailure failure = assertThrows(CellFailure.class, () -> runner.run(broken));
        String message = failure.getMessage();
        assertTrue(message.startsWith("broken.ipynb, code cell 1: threw java.lang.ArithmeticException"), message);
        assertTrue(message.contains("int b = a;\nint c = b / 0;"), message);

        Path python = Files.writeString(dir.resolve("python.ipynb"), cells.formatted("python"));
        IOException wrongKernel = assertThrows(IOException.class, () -> runner.run(python));
        assertTrue(wrongKernel.getMessage().contains("expected 'java'"), wrongKernel.getMessage());
    }

    @Test
    @Timeout(10)
    void globsResolveLikeTheKernels(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("target/lib"));
        Files.createDirectories(dir.resolve("notebooks"));
        Files.writeString(dir.resolve("target/lib/b.jar"), "");
        Files.writeString(dir.resolve("target/lib/a.jar"), "");
        Files.writeString(dir.resolve("target/lib/notes.txt"), "");
        Path nb = dir.resolve("notebooks");
        assertEquals(List.of(dir.resolve("target/lib/a.jar"), dir.resolve("target/lib/b.jar")),
                LineMagics.resolveGlob(nb, "../target/lib/*.jar"));
        assertEquals(List.of(dir.resolve("target/lib/notes.txt")), LineMagics.resolveGlob(nb, "../target/lib/n?tes.*"));
        assertEquals(List.of(), LineMagics.resolveGlob(nb, "../target/missing/*.jar"));
        assertEquals(List.of("a b", "c"), LineMagics.words(" 'a b'  c "));
        assertEquals("\nint x;", LineMagics.split("%jars x.jar\nint x;").code());
    }
}
