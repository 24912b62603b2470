package io.numarrow.notebooks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;

/**
 * Runs every notebook in {@code notebooks/} top to bottom, so a notebook that stops working
 * fails the build, and checks that the outputs saved in it are the kind this run produced (a
 * stale notebook fails too: regenerate it with {@code -Dnumarrow.notebooks.save=true}).
 */
class NotebooksTest {
    private static final boolean SAVE = Boolean.getBoolean("numarrow.notebooks.save");

    @TestFactory
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    Stream<DynamicTest> everyNotebookRuns() throws IOException {
        NotebookRunner runner = new NotebookRunner(Path.of(System.getProperty("numarrow.repo", ".")));
        List<Path> notebooks = runner.notebooks();
        assertTrue(notebooks.size() >= 3, "expected at least three notebooks, found " + notebooks);
        return notebooks.stream().map(nb -> DynamicTest.dynamicTest(nb.getFileName().toString(), () ->
                Assertions.assertTimeoutPreemptively(Duration.ofMinutes(3), () -> {
                    List<List<String>> saved = shapes(Ipynb.read(nb));
                    NotebookRunner.Run run = runner.run(nb);
                    if (SAVE) {
                        NotebookRunner.save(run);
                    } else {
                        assertEquals(saved, shapes(run), nb + ": the saved outputs differ in kind from a fresh"
                                + " run; regenerate: mvn -o -q test -Dtest=NotebooksTest -Dnumarrow.notebooks.save=true");
                    }
                })));
    }

    /** Each cell's outputs reduced to their kinds (stream name or MIME types), to compare runs. */
    private static List<List<String>> shapes(NotebookRunner.Run run) {
        List<List<String>> cells = new ArrayList<>();
        for (List<CellOutput> outputs : run.cells()) {
            cells.add(outputs.stream().map(NotebooksTest::kind).toList());
        }
        return cells;
    }

    private static List<List<String>> shapes(Ipynb saved) {
        return saved.outputKinds();
    }

    private static String kind(CellOutput o) {
        return switch (o) {
            case CellOutput.Stream s -> "stream:" + s.name();
            case CellOutput.Display d -> "display:" + String.join(",", d.data().keySet().stream().sorted().toList());
            case CellOutput.Result r -> "result:" + String.join(",", r.data().keySet().stream().sorted().toList());
        };
    }
}
