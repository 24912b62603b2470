package io.numarrow.compute;

import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.ThreadPool;
import io.numarrow.threading.ThreadPoolConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;

/**
 * Run by {@link InPlaceMemoryTest} in a JVM of its own: {@code ComputeJob.run} of {@code args[0]}
 * with the weights {@code args[1]} into {@code args[2]} (matmul,softmax, input columns kept, two
 * threads), then one line: {@code rows=N inPlace=true|false peakKiB=N (at the end: ...)}, this JVM's peak
 * resident memory (VmHWM: heap, native memory and mapped file pages alike) and what it holds at the end.
 */
public final class InPlaceMemoryProbe {
    private InPlaceMemoryProbe() {
    }

    public static void main(String[] args) throws IOException {
        ComputeJob.Spec spec = new ComputeJob.Spec(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]), "features",
                Ops.MATMUL_SOFTMAX, "output");
        ComputeJob.Result r;
        long[] peaks = new long[3]; // anon, file, shmem: sampled while the job runs
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    List<String> now = Files.readAllLines(Path.of("/proc/self/status"));
                    peaks[0] = Math.max(peaks[0], kib(now, "RssAnon:"));
                    peaks[1] = Math.max(peaks[1], kib(now, "RssFile:"));
                    peaks[2] = Math.max(peaks[2], kib(now, "RssShmem:"));
                    Thread.sleep(2);
                } catch (IOException | InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        try (BufferAllocator allocator = new RootAllocator();
             ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build())) {
            r = ComputeJob.run(spec, new ParallelOps(pool), allocator);
        }
        sampler.interrupt();
        try {
            sampler.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<String> status = Files.readAllLines(Path.of("/proc/self/status"));
        System.out.println("rows=" + r.rows() + " inPlace=" + r.timings().inPlace() + " peakKiB=" + kib(status, "VmHWM:")
                + " (at the end: anon " + kib(status, "RssAnon:") + ", file " + kib(status, "RssFile:") + ", shmem "
                + kib(status, "RssShmem:") + " KiB; sampled peaks: anon " + peaks[0] + ", file " + peaks[1] + ", shmem "
                + peaks[2] + " KiB)");
    }

    private static long kib(List<String> status, String field) {
        return status.stream().filter(l -> l.startsWith(field)).mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")))
                .findFirst().orElse(-1);
    }
}
