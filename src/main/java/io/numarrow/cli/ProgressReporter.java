package io.numarrow.cli;

import io.numarrow.Settings;
import io.numarrow.compute.ComputeJob;
import java.io.Console;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.text.DecimalFormat;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.MessageMetadataResult;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shows how far a {@code compute} run has got, for whoever waits on it: a progress bar (rows
 * done, rows/s, time left) when stderr is a terminal, a log line every couple of seconds when it
 * is not (a log file, CI), and nothing for inputs of a few batches or with {@code --quiet}.
 *
 * <p>The totals come from the input's Arrow file footer and its record batch headers, read before
 * the run; a file whose totals cannot be read (an Arrow stream, a damaged file the job will
 * report) gets a bar without an end, once it has shown more than a few batches.
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

    /** The batches and rows of an input file, each -1 when unknown. */
    record Totals(int batches, long rows) {
        static final Totals UNKNOWN = new Totals(-1, -1);

        /**
         * Reads the totals of an Arrow IPC file from its footer and batch headers, without
         * reading any batch's data. Anything unreadable gives {@link #UNKNOWN}: the job itself
         * reports what is wrong with the file.
         */
        static Totals of(Path file) {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
                 BufferAllocator allocator = new RootAllocator();
                 ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
                List<ArrowBlock> blocks = reader.getRecordBlocks();
                long rows = 0;
                for (ArrowBlock block : blocks) {
                    channel.position(block.getOffset());
                    MessageMetadataResult message = MessageSerializer.readMessage(new ReadChannel(channel));
                    if (message == null || message.headerType() != MessageHeader.RecordBatch) {
                        return new Totals(blocks.size(), -1);
                    }
                    rows += ((RecordBatch) message.getMessage().header(new RecordBatch())).length();
                }
                return new Totals(blocks.size(), rows);
            } catch (Exception e) {
                LOG.debug("no progress totals for {}: {}", file, e.toString());
                return UNKNOWN;
            }
        }
    }

    /** How progress shows. */
    enum Mode { NONE, BAR, LOG }

    private final Totals totals;
    private final Mode mode;
    private final Output output;
    private final LongSupplier clock;
    private final long startNanos;
    private ProgressBar bar;
    private long lastLogNanos;
    private boolean logged;

    private ProgressReporter(Totals totals, Mode mode, Output output, LongSupplier clock) {
        this.totals = totals;
        this.mode = mode;
        this.output = output;
        this.clock = clock;
        this.startNanos = clock.getAsLong();
        this.lastLogNanos = startNanos;
    }

    /** Progress for a run over {@code input}: a bar, log lines, or nothing (see the class comment). */
    static ProgressReporter start(Path input, boolean quiet, Output output) {
        return start(quiet ? Totals.UNKNOWN : Totals.of(input), quiet, output, System::nanoTime);
    }

    static ProgressReporter start(Totals totals, boolean quiet, Output output, LongSupplier clock) {
        boolean fewBatches = totals.batches() >= 0 && totals.batches() <= FEW_BATCHES;
        Mode mode = quiet || fewBatches ? Mode.NONE : output.terminal() ? Mode.BAR : Mode.LOG;
        ProgressReporter reporter = new ProgressReporter(totals, mode, output, clock);
        if (mode == Mode.BAR && totals.batches() >= 0) {
            reporter.bar = reporter.newBar();
        }
        return reporter;
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
                boolean last = batches == totals.batches();
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

    Mode mode() {
        return mode;
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
