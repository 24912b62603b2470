package io.numarrow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.numarrow.compute.SyntheticData;
import io.numarrow.io.BatchSource.Totals;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

@Timeout(60)
class ProgressReporterTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream barBytes = new ByteArrayOutputStream();
    private final List<String> logLines = new ArrayList<>();

    private ProgressReporter.Output output(boolean terminal, Duration logEvery) {
        return new ProgressReporter.Output(terminal, new PrintStream(barBytes, true, StandardCharsets.UTF_8), 120,
                logLines::add, logEvery);
    }

    /** A reporter on {@code out} with the clock {@code clock}, already told the input's totals, as a job tells it. */
    private static ProgressReporter told(Totals totals, ProgressReporter.Output out, LongSupplier clock) {
        ProgressReporter reporter = new ProgressReporter(false, out, clock);
        reporter.inputTotals(totals);
        return reporter;
    }

    private String bar() {
        return barBytes.toString(StandardCharsets.UTF_8);
    }

    /** Writes {@code rows} rows of 8 features in {@code batches} batches, and 8×4 weights. */
    private Path input(int rows, int batches) {
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(dir.resolve("x.arrow"), allocator, rows, 8, batches, 7, 1);
            SyntheticData.writeWeights(dir.resolve("w.arrow"), allocator, 8, 4, 2);
        }
        return dir.resolve("x.arrow");
    }

    private int compute(ProgressReporter.Output out, String... extra) {
        ComputeCommand command = new ComputeCommand();
        command.progressOutput = out;
        List<String> args = new ArrayList<>(List.of("--input", dir.resolve("x.arrow").toString(),
                "--weights", dir.resolve("w.arrow").toString(), "--output", dir.resolve("out.arrow").toString(),
                "--threads", "2"));
        args.addAll(List.of(extra));
        return new CommandLine(command).execute(args.toArray(String[]::new));
    }

    @Test
    void aHundredBatchFileOnATerminalShowsTheBar() {
        input(2000, 100);
        assertEquals(0, compute(output(true, ProgressReporter.LOG_EVERY)));
        String bar = bar();
        assertTrue(bar.contains("compute 100%"), bar);
        assertTrue(bar.contains("2,000/2,000 rows") || bar.contains("2000/2000 rows"), bar);
        assertTrue(bar.contains("rows/s"), bar);
        assertTrue(bar.contains("batch 100/100"), bar);
        assertTrue(bar.contains("\r"), "the bar redraws in place: " + bar);
        assertEquals(List.of(), logLines);
    }

    @Test
    void withoutATerminalItLogsLinesInstead() {
        input(2000, 100);
        assertEquals(0, compute(output(false, Duration.ZERO)));
        assertEquals("", bar());
        assertEquals(100, logLines.size(), logLines.toString());
        assertTrue(logLines.get(0).startsWith("compute: batch 1/100, 20/2,000 rows (1%)"), logLines.get(0));
        String last = logLines.get(99);
        assertTrue(last.startsWith("compute: batch 100/100, 2,000/2,000 rows (100%)"), last);
        assertTrue(last.endsWith(", done"), last);
    }

    @Test
    void quietSilencesBoth() {
        input(2000, 100);
        assertEquals(0, compute(output(true, Duration.ZERO), "--quiet"));
        assertEquals(0, compute(output(false, Duration.ZERO), "--quiet"));
        assertEquals("", bar());
        assertEquals(List.of(), logLines);
    }

    @Test
    void aFewBatchesShowNothing() {
        input(2000, ProgressReporter.FEW_BATCHES);
        assertEquals(0, compute(output(true, Duration.ZERO)));
        assertEquals(0, compute(output(false, Duration.ZERO)));
        assertEquals("", bar());
        assertEquals(List.of(), logLines);
    }

    @Test
    void logLinesComeEveryTwoSecondsWithRateAndTimeLeft() {
        AtomicLong now = new AtomicLong(0);
        try (ProgressReporter progress = told(new Totals(1000, 100, -1),
                output(false, Duration.ofSeconds(2)), now::get)) {
            now.set(1_000_000_000L);
            progress.batchDone(10, 100);
            assertEquals(List.of(), logLines, "not yet two seconds");
            now.set(2_500_000_000L);
            progress.batchDone(25, 250);
            now.set(3_000_000_000L);
            progress.batchDone(30, 300);
            assertEquals(List.of("compute: batch 25/100, 250/1,000 rows (25%), 100 rows/s, about 8 s left"), logLines);
            now.set(200_000_000_000L);
            progress.batchDone(99, 990);
            assertEquals("compute: batch 99/100, 990/1,000 rows (99%), 5 rows/s, about 2 s left", logLines.get(1));
            now.set(202_100_000_000L);
            progress.batchDone(100, 999);
            assertEquals("compute: batch 100/100, 999/1,000 rows (99%), 5 rows/s, under a second left",
                    logLines.get(2));
            now.set(204_200_000_000L);
            progress.batchDone(100, 1000);
            assertEquals(4, logLines.size(), "the last batch is logged once lines have been: " + logLines);
            assertTrue(logLines.get(3).endsWith(", done"), logLines.get(3));
        }
    }

    @Test
    void anUnknownTotalShowsABarOnceThereAreMoreThanAFewBatches() {
        try (ProgressReporter progress = told(Totals.UNKNOWN,
                output(true, Duration.ZERO), System::nanoTime)) {
            for (int b = 1; b <= ProgressReporter.FEW_BATCHES; b++) {
                progress.batchDone(b, b * 10L);
            }
            assertEquals("", bar(), "no bar for what may be a short stream");
            progress.batchDone(ProgressReporter.FEW_BATCHES + 1, 50);
        }
        assertTrue(bar().contains("50/? rows"), bar());
        assertTrue(bar().contains("batch 5"), bar());
    }

    @Test
    void emptyBatchesGiveABarWithoutAnEnd() {
        try (ProgressReporter progress = told(new Totals(0, 10, -1),
                output(true, Duration.ZERO), System::nanoTime)) {
            progress.batchDone(10, 0);
        }
        assertTrue(bar().contains("0/? rows"), bar());
        assertTrue(bar().contains("batch 10/10"), bar());
    }

    @Test
    void anUnknownTotalStillShowsProgress() {
        try (ProgressReporter progress = told(Totals.UNKNOWN,
                output(false, Duration.ZERO), () -> 1_000_000_000L)) {
            progress.batchDone(3, 30);
        }
        assertEquals(List.of("compute: batch 3, 30 rows"), logLines);
    }
}
