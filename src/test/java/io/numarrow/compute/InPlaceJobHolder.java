package io.numarrow.compute;

import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Run by {@link InPlaceSignalTest} in a JVM of its own: computes {@code args[0]} with the weights
 * {@code args[1]} into {@code args[2]} (an Arrow IPC output, computed in place), and once the first
 * batch is finished in the mapped file prints {@code paused} and waits on standard input, the job
 * mid-way, to be stopped by a signal.
 */
public final class InPlaceJobHolder {
    private InPlaceJobHolder() {
    }

    public static void main(String[] args) {
        ComputeJob.Spec spec = new ComputeJob.Spec(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), "features",
                Ops.MATMUL_SOFTMAX, "output");
        try (BufferAllocator allocator = new RootAllocator();
             ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build())) {
            ComputeJob.run(spec, new ParallelOps(pool), allocator, (batches, rows) -> {
                if (batches == 1) {
                    System.out.println("paused");
                    System.out.flush();
                    try {
                        System.in.read(); // until killed (or stdin closes)
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
        }
    }
}
