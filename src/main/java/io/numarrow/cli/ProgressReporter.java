package io.numarrow.cli;

import io.numarrow.Settings;
import io.numarrow.compute.ComputeJob;
import io.numarrow.io.BatchSource.Totals;
import java.io.Console;
import java.io.PrintStream;
import java.text.DecimalFormat;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shows how far a {@code compute} run has got, for whoever waits on it: a progress bar (rows
 * done, rows/s, time left) when stderr is a terminal, a log line every couple of seconds when it
 * is not (a log file, CI), and nothing for inputs of a few batches or with {@code --quiet}.
 *
 * <p>The totals are what the job's source read from the input's metadata when it opened it
 * ({@link ComputeJob.Progress#inputTotals}): nothing here opens the input. An input whose batches
 * are not known ahead (an Arrow stream, Parquet) gets a bar once it has shown more than a few
 * batches, without an end unless its rows are known.
 */
final class ProgressReporter implements ComputeJob.Progress, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);

    /** Inputs of at most this many batches finish too fast to need progress. */
    static final int FEW_BATCHES = 4;
    static final Duration LOG_EVERY = Duration.ofSeconds(2);

    /**
     * Where progress goes.
     *
     * @param terminal whether stderr is a terminal (a bar) or not (log lines)
     * @param barOut   the stream the bar is drawn on
     * @param barWidth the bar's width in characters, or 0 for the terminal's width
     * @param log      receives each progress log line
     * @param logEvery the least time between two log lines
     */
    record Output(boolean terminal, PrintStream barOut, int barWidth, Consumer<String> log, Duration logEvery) {
        Output {
            Objects.requireNonNull(barOut, "barOut");
            Objects.requireNonNull(log, "log");
            Objects.requireNonNull(logEvery, "logEvery");
        }

        /** stderr, its terminal-ness as the launcher or the JVM sees it, logging through SLF4J. */
        static Output system() {
            return new Output(stderrIsTerminal(), System.err, 0, LOG::info, LOG_EVERY);
        }

        private static boolean stderrIsTerminal() {
            // the launcher says, from [ -t 2 ]: it pipes stderr, so the JVM cannot see the terminal
            Optional<Boolean> told = Settings.stderrTerminal();
            if (told.isPresent()) {
                return told.get();
            }
            Console console = System.console();
            return console != null && console.isTerminal();
        }
    }

    /** How progress shows. */
    enum Mode { NONE, BAR, LOG }

    private final boolean quiet;
    private final Output output;
    private final LongSupplier clock;
    private final long startNanos;
    /** Both set once the job tells the totals; nothing shows before. */
    private Totals totals = Totals.UNKNOWN;
    private Mode mode = Mode.NONE;
    private ProgressBar bar;
    private long lastLogNanos;
    private boolean logged;

    ProgressReporter(boolean quiet, Output output, LongSupplier clock) {
        this.quiet = quiet;
        this.output = output;
        this.clock = clock;
        this.startNanos = clock.getAsLong();
        this.lastLogNanos = startNanos;
    }

    /** Progress for a run: a bar, log lines, or nothing (see the class comment), once the job tells the totals. */
    static ProgressReporter start(boolean quiet, Output output) {
        return new ProgressReporter(quiet, output, System::nanoTime);
    }

    @Override
    public void inputTotals(Totals totals) {
        this.totals = totals;
        boolean fewBatches = totals.batches() >= 0 && totals.batches() <= FEW_BATCHES;
        mode = quiet || fewBatches ? Mode.NONE : output.terminal() ? Mode.BAR : Mode.LOG;
        if (mode == Mode.BAR && totals.batches() >= 0) {
            bar = newBar();
        }
    }

    private ProgressBar newBar() {
        ConsoleProgressBarConsumer consumer = output.barWidth() > 0
                ? new ConsoleProgressBarConsumer(output.barOut(), output.barWidth())
                : new ConsoleProgressBarConsumer(output.barOut());
        return new ProgressBarBuilder()
                .setTaskName("compute")
                .setInitialMax(totals.rows() > 0 ? totals.rows() : -1) // -1: a bar without an end
                .setUnit(" rows", 1)
                .showSpeed(new DecimalFormat("#,##0"))
                .setSpeedUnit(ChronoUnit.SECONDS)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .setConsumer(consumer)
                .startsFrom(0, Duration.ofNanos(clock.getAsLong() - startNanos))
                .build();
    }

    @Override
    public void batchDone(int batches, long rows) {
        switch (mode) {
            case NONE -> {
            }
            case BAR -> {
                if (bar == null && batches > FEW_BATCHES) {
                    bar = newBar(); // total unknown: wait until there are more than a few batches
                }
                if (bar != null) {
                    bar.stepTo(rows);
                    bar.setExtraMessage(" · batch " + batches + (totals.batches() > 0 ? "/" + totals.batches() : ""));
                }
            }
            case LOG -> {
                long now = clock.getAsLong();
                boolean last = totals.rows() >= 0 ? rows == totals.rows() : batches == totals.batches();
                if (now - lastLogNanos >= output.logEvery().toNanos() || last && logged) {
                    lastLogNanos = now;
                    logged = true;
                    output.log().accept(logLine(batches, rows, now - startNanos));
                }
            }
        }
    }

    /** e.g. {@code compute: batch 40/100, 400,000/1,000,000 rows (40%), 200,000 rows/s, about 3 s left}. */
    String logLine(int batches, long rows, long elapsedNanos) {
        StringBuilder line = new StringBuilder("compute: batch ").append(batches);
        if (totals.batches() > 0) {
            line.append('/').append(totals.batches());
        }
        line.append(String.format(", %,d", rows));
        if (totals.rows() > 0) {
            line.append(String.format("/%,d rows (%d%%)", totals.rows(), rows * 100 / totals.rows()));
        } else {
            line.append(" rows");
        }
        double seconds = elapsedNanos / 1e9;
        if (seconds > 0 && rows > 0) {
            double rate = rows / seconds;
            line.append(String.format(", %,.0f rows/s", rate));
            if (totals.rows() > 0) {
                long left = Math.round((totals.rows() - rows) / rate);
                line.append(rows >= totals.rows() ? ", done"
                        : left < 1 ? ", under a second left" : ", about " + formatDuration(left) + " left");
            }
        }
        return line.toString();
    }

    private static String formatDuration(long seconds) {
        if (seconds < 60) {
            return seconds + " s";
        }
        if (seconds < 3600) {
            return String.format("%d min %02d s", seconds / 60, seconds % 60);
        }
        return String.format("%d h %02d min", seconds / 3600, seconds % 3600 / 60);
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
