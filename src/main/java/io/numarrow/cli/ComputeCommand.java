package io.numarrow.cli;

import io.numarrow.compute.ComputeJob;
import io.numarrow.compute.Ops;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code numarrow compute}: ops over the features column of every batch of an Arrow file. */
@Command(name = "compute", mixinStandardHelpOptions = true,
        description = "Compute ops(features) for every row of an Arrow IPC file; write the rows with an 'output' column.")
final class ComputeCommand implements Callable<Integer> {
    @Option(names = "--input", required = true, paramLabel = "X.arrow", description = "Arrow IPC file of feature rows.")
    Path input;

    @Option(names = "--weights", paramLabel = "W.arrow", description = "Arrow IPC file of d rows of FixedSizeList<float32>[h].")
    Path weights;

    @Option(names = "--output", required = true, paramLabel = "OUT.arrow", description = "Where to write the result.")
    Path output;

    @Option(names = "--ops", defaultValue = "matmul,softmax", description = "matmul, softmax or matmul,softmax (default: ${DEFAULT-VALUE}).")
    String ops;

    @Option(names = "--column", defaultValue = "features", description = "The features column (default: ${DEFAULT-VALUE}).")
    String column;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: every usable CPU).")
    Integer threads;

    @Option(names = "--pin", description = "Pin each worker thread to one CPU (logs once and runs unpinned where not permitted).")
    boolean pin;

    @Option(names = "--numa", defaultValue = io.numarrow.numa.NumaOption.DEFAULT, paramLabel = io.numarrow.numa.NumaOption.SYNTAX,
            description = "Where Arrow memory goes: off (Arrow's allocator), local, interleave or preferred=N (default: ${DEFAULT-VALUE}).")
    String numa;

    @Mixin
    CommonOptions common;

    /** Where progress goes; a test replaces it to force terminal or log mode. */
    ProgressReporter.Output progressOutput = ProgressReporter.Output.system();

    @Override
    public Integer call() {
        Ops parsed = Ops.parse(ops);
        ThreadCount.check(threads);
        // before the progress bar reads the input's footer: opening a FIFO with no writer would block
        io.numarrow.io.ArrowFiles.checkIpcFile(input);
        ComputeJob.Spec spec = new ComputeJob.Spec(input, weights, output, column, parsed, "output");
        ThreadPoolConfig config = ThreadPoolConfig.builder().numThreads(threads).pinThreads(pin).build();
        try (BufferAllocator allocator = io.numarrow.numa.NumaOption.parse(numa).newRootAllocator();
             ThreadPool pool = ThreadPool.init(config)) {
            ComputeJob.Result r;
            try (ProgressReporter progress = ProgressReporter.start(input, common.quiet, progressOutput)) {
                r = ComputeJob.run(spec, new ParallelOps(pool), allocator, progress);
            }
            if (!common.quiet) {
                // with the Arrow file on standard output, the summary must not go there too
                (io.numarrow.io.AtomicOutput.isStandardOutput(output) ? System.err : System.out).printf("%s: %,d rows in %d batches -> %s (%.3f s, %,.0f rows/s)%n",
                        parsed, r.rows(), r.batches(), r.output(), r.seconds(), r.rowsPerSecond());
            }
        }
        return 0;
    }
}
