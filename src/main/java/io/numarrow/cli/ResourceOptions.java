package io.numarrow.cli;

import io.numarrow.numa.NumaOption;
import io.numarrow.threading.ThreadPoolConfig;
import org.apache.arrow.memory.BufferAllocator;
import picocli.CommandLine.Option;

/** Options of the commands that run the job: the worker threads, their pinning, and where Arrow memory goes. */
final class ResourceOptions {
    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: every usable CPU).")
    Integer threads;

    @Option(names = "--pin", description = "Pin each worker thread to one CPU (logs once and runs unpinned where not permitted).")
    boolean pin;

    @Option(names = "--numa", defaultValue = NumaOption.DEFAULT, paramLabel = NumaOption.SYNTAX,
            description = "Where Arrow memory goes: off (Arrow's allocator), local, interleave or preferred=N (default: ${DEFAULT-VALUE}).")
    String numa;

    /** The pool these options ask for; bad input if {@code --threads} is out of bounds. */
    ThreadPoolConfig poolConfig() {
        return ThreadPoolConfig.builder().numThreads(ThreadCount.check(threads)).pinThreads(pin).build();
    }

    /** A root allocator placing its memory as {@code --numa} says; bad input if it names no placement. */
    BufferAllocator newAllocator() {
        return NumaOption.parse(numa).newRootAllocator();
    }
}
