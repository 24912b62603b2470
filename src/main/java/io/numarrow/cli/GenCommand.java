package io.numarrow.cli;

import io.numarrow.BadInputException;
import io.numarrow.compute.SyntheticData;
import io.numarrow.io.Formats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code numarrow gen}: seeded synthetic feature batches and weights (how data/ was made). */
@Command(name = "gen", mixinStandardHelpOptions = true,
        description = "Write a synthetic batch file and weights file (the demo data in data/ was made with the defaults).")
final class GenCommand implements Callable<Integer> {
    @Option(names = "--out-dir", defaultValue = "data", description = "Folder for batch.arrow and weights.arrow (default: ${DEFAULT-VALUE}).")
    Path outDir;

    @Option(names = "--rows", defaultValue = "10000", description = "Feature rows (default: ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--dim", defaultValue = "64", description = "Features per row, d (default: ${DEFAULT-VALUE}).")
    int dim;

    @Option(names = "--hidden", defaultValue = "32", description = "Output width, h (default: ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--batches", defaultValue = "10", description = "Record batches (default: ${DEFAULT-VALUE}).")
    int batches;

    @Option(names = "--null-every", defaultValue = "97", description = "Every N-th features row is null; 0 for none (default: ${DEFAULT-VALUE}).")
    int nullEvery;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--format", defaultValue = "arrow", paramLabel = "arrow|parquet",
            description = "Format of the batch file: batch.arrow or batch.parquet (default: ${DEFAULT-VALUE}; weights are always Arrow IPC).")
    String format;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        if (rows < 0 || dim < 1 || hidden < 1 || batches < 1 || nullEvery < 0) {
            throw new BadInputException("gen needs --rows >= 0, --dim >= 1, --hidden >= 1, --batches >= 1, --null-every >= 0");
        }
        Formats.Format batchFormat = Formats.Format.parse(format);
        if (batchFormat == null) {
            throw new BadInputException("gen --format needs arrow or parquet");
        }
        Files.createDirectories(outDir);
        Path batch = outDir.resolve(batchFormat == Formats.Format.PARQUET ? "batch.parquet" : "batch.arrow");
        Path weights = outDir.resolve("weights.arrow");
        try (BufferAllocator allocator = new RootAllocator()) {
            SyntheticData.writeFeatures(batch, batchFormat, allocator, rows, dim, batches, nullEvery, seed);
            SyntheticData.writeWeights(weights, allocator, dim, hidden, seed + 1);
        }
        if (!common.quiet) {
            System.out.printf("wrote %s (%,d rows × %d in %d batches) and %s (%d×%d)%n",
                    batch, rows, dim, batches, weights, dim, hidden);
        }
        return 0;
    }
}
