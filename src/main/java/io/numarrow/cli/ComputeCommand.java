package io.numarrow.cli;

import io.numarrow.BadInputException;
import io.numarrow.compute.ComputeJob;
import io.numarrow.compute.KernelsAlone;
import io.numarrow.compute.Ops;
import io.numarrow.io.AtomicOutput;
import io.numarrow.io.Formats;
import io.numarrow.jit.KernelCompile;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import io.numarrow.threading.WorkerStats;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code numarrow compute}: ops over the features column of every batch of an Arrow file. */
@Command(name = "compute", mixinStandardHelpOptions = true,
        description = "Compute ops(features) for every row of an Arrow IPC or Parquet input; write the rows with an 'output' column.")
final class ComputeCommand implements Callable<Integer> {
    // the defaults picocli applies, named so that ComputeArgs applies the same ones
    static final String DEFAULT_COMPRESSION = "snappy";
    static final String DEFAULT_OPS = "matmul,softmax";
    static final String DEFAULT_PREDICTION_COLUMN = "prediction";
    static final String DEFAULT_COLUMN = "features";
    static final String DEFAULT_OUTPUT_COLUMN = "output";

    @Option(names = "--input", required = true, paramLabel = "X.arrow|X.parquet|DIR|GLOB",
            description = "Feature rows: an Arrow IPC file, or Parquet: a file, a folder of *.parquet or a glob ('parts/*.parquet').")
    Path input;

    @Option(names = "--weights", paramLabel = "W.arrow|W.npy",
            description = "W[d×h]: an Arrow IPC file of d rows of FixedSizeList<float32>[h], or a .npy of shape (d, h), float32 or float64.")
    Path weights;

    @Option(names = "--bias", paramLabel = "B.arrow|B.npy",
            description = "A bias b[h] added to every row's x·W: an Arrow IPC file of one FixedSizeList<float32>[h] row, or a .npy of shape (h,).")
    Path bias;

    @Option(names = "--output", required = true, paramLabel = "OUT.arrow|OUT.parquet", description = "Where to write the result (Parquet for a .parquet name).")
    Path output;

    @Option(names = "--input-format", paramLabel = "auto|arrow|parquet", description = "Input format (default: from the file's first bytes).")
    String inputFormat;

    @Option(names = "--output-format", paramLabel = "auto|arrow|parquet", description = "Output format (default: from the output name).")
    String outputFormat;

    @Option(names = "--compression", paramLabel = "snappy|zstd", defaultValue = DEFAULT_COMPRESSION, description = "Parquet output compression (default: ${DEFAULT-VALUE}).")
    String compression;

    @Option(names = "--ops", defaultValue = DEFAULT_OPS,
            description = "matmul, softmax or matmul,softmax, each optionally followed by ,argmax (each row's class, an int32 column) (default: ${DEFAULT-VALUE}).")
    String ops;

    @Option(names = "--prediction-column", defaultValue = DEFAULT_PREDICTION_COLUMN, paramLabel = "NAME",
            description = "The int32 column argmax adds (default: ${DEFAULT-VALUE}).")
    String predictionColumn;

    @Option(names = "--column", defaultValue = DEFAULT_COLUMN, description = "The features column (default: ${DEFAULT-VALUE}).")
    String column;

    @Option(names = "--output-column", defaultValue = DEFAULT_OUTPUT_COLUMN, paramLabel = "NAME",
            description = "The name of the added column (default: ${DEFAULT-VALUE}).")
    String outputColumn;

    @Option(names = "--drop-input", description = "Write the output column alone, not every input column beside it.")
    boolean dropInput;

    @Option(names = "--stats", description = "Print where the time went: JVM start to first batch, warm-up, read, compute, write, total, rows/s, and the kernels alone over the same rows (run again after the job).")
    boolean stats;

    @Mixin
    ResourceOptions resources;

    @Mixin
    CommonOptions common;

    /** Where progress goes; a test replaces it to force terminal or log mode. */
    ProgressReporter.Output progressOutput = ProgressReporter.Output.system();

    @Override
    public Integer call() {
        checkNotEmpty();
        Ops parsed = Ops.parse(ops);
        ThreadPoolConfig config = resources.poolConfig();
        Formats.Options formats = new Formats.Options(Formats.Format.parse(inputFormat), Formats.Format.parse(outputFormat),
                Formats.Compression.parse(compression));
        ComputeJob.Spec spec = new ComputeJob.Spec(input, weights, output, column, parsed, outputColumn, !dropInput, formats,
                bias, predictionColumn);
        try (BufferAllocator allocator = resources.newAllocator();
             ThreadPool pool = ThreadPool.init(config)) {
            ComputeJob.Result r;
            ParallelOps parallel = new ParallelOps(pool);
            try (ProgressReporter progress = ProgressReporter.start(common.quiet || stats, progressOutput)) {
                r = ComputeJob.run(spec, parallel, allocator, progress);
            }
            if (!common.quiet) {
                // with the Arrow file on standard output, the summary must not go there too
                (AtomicOutput.isStandardOutput(output) ? System.err : System.out).printf("%s: %,d rows in %d batches -> %s (%.3f s, %,.0f rows/s)%n",
                        parsed, r.rows(), r.batches(), r.output(), r.seconds(), r.rowsPerSecond());
            }
            if (stats) {
                List<WorkerStats> jobWorkers = pool.stats(); // the job's tasks and steals, before the kernels run again
                KernelsAlone.Result alone = KernelsAlone.measure(spec, parallel, allocator);
                JobStats.print(r, KernelCompile.result(), System.out);
                JobStats.printKernelsAlone(r, alone, System.out);
                JobStats.printPerNode(jobWorkers, System.out);
            }
        }
        return 0;
    }

    /** An empty name (a variable that was not set, {@code --output ''}) would mean the current folder. */
    private void checkNotEmpty() {
        String[][] named = {{"--input", input.toString()}, {"--weights", weights == null ? null : weights.toString()},
                {"--output", output.toString()}, {"--column", column}, {"--output-column", outputColumn},
                {"--bias", bias == null ? null : bias.toString()}, {"--prediction-column", predictionColumn}};
        for (String[] option : named) {
            if (option[1] != null && option[1].isBlank()) {
                throw new BadInputException(option[0] + " is empty: give " + switch (option[0]) {
                    case "--output" -> "the output file's path ('-' for standard output)";
                    case "--column", "--output-column", "--prediction-column" -> "a column name";
                    default -> "a file's path";
                });
            }
        }
    }
}
