package io.numarrow.threading;

import java.time.Duration;
import java.util.OptionalInt;

/**
 * How a {@link ThreadPool} is built. {@code numThreads} empty means every CPU this process may
 * run on.
 *
 * @param numThreads         worker count, or empty for every usable CPU
 * @param stackSize          bytes of stack per worker thread
 * @param enableWorkStealing whether idle workers take work from others' queues
 * @param numaAware          whether workers are spread over NUMA nodes
 * @param pinThreads         whether each worker is pinned to one CPU
 * @param queueCapacity      capacity of each worker's queue (rounded up to a power of two);
 *                           submit beyond it throws {@link QueueFullException}
 * @param spinTime           how long an idle worker keeps looking for work before it parks:
 *                           longer wakes faster for bursts, shorter leaves the CPU to others
 */
public record ThreadPoolConfig(OptionalInt numThreads, long stackSize, boolean enableWorkStealing,
                               boolean numaAware, boolean pinThreads, int queueCapacity, Duration spinTime) {
    public static final long DEFAULT_STACK_SIZE = 8L * 1024 * 1024;
    public static final int DEFAULT_QUEUE_CAPACITY = 4096;
    /** 200 µs: bridges the gaps between the tile batches of one computation, short enough to give an idle CPU back soon. */
    public static final Duration DEFAULT_SPIN_TIME = Duration.ofNanos(200_000);

    public ThreadPoolConfig {
        if (numThreads == null) {
            numThreads = OptionalInt.empty();
        }
        if (numThreads.isPresent() && numThreads.getAsInt() < 1) {
            throw new IllegalArgumentException("numThreads must be at least 1, was " + numThreads.getAsInt());
        }
        if (stackSize < 0) {
            throw new IllegalArgumentException("stackSize must not be negative, was " + stackSize);
        }
        if (queueCapacity < 2 || queueCapacity > (1 << 30)) {
            throw new IllegalArgumentException("queueCapacity must be between 2 and 2^30, was " + queueCapacity);
        }
        if (spinTime == null) {
            spinTime = DEFAULT_SPIN_TIME;
        }
        if (spinTime.isNegative()) {
            throw new IllegalArgumentException("spinTime must not be negative, was " + spinTime);
        }
    }

    /** The first version's components, with the default spin time. */
    public ThreadPoolConfig(OptionalInt numThreads, long stackSize, boolean enableWorkStealing,
                            boolean numaAware, boolean pinThreads, int queueCapacity) {
        this(numThreads, stackSize, enableWorkStealing, numaAware, pinThreads, queueCapacity, DEFAULT_SPIN_TIME);
    }

    /** A builder starting from this config. */
    public Builder toBuilder() {
        return new Builder().numThreads(numThreads).stackSize(stackSize).enableWorkStealing(enableWorkStealing)
                .numaAware(numaAware).pinThreads(pinThreads).queueCapacity(queueCapacity).spinTime(spinTime);
    }

    public static ThreadPoolConfig defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds a config; unset fields keep the seed's defaults. */
    public static final class Builder {
        private OptionalInt numThreads = OptionalInt.empty();
        private long stackSize = DEFAULT_STACK_SIZE;
        private boolean enableWorkStealing = true;
        private boolean numaAware;
        private boolean pinThreads;
        private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
        private Duration spinTime = DEFAULT_SPIN_TIME;

        public Builder numThreads(int n) {
            this.numThreads = OptionalInt.of(n);
            return this;
        }

        public Builder numThreads(Integer n) {
            this.numThreads = n == null ? OptionalInt.empty() : OptionalInt.of(n);
            return this;
        }

        public Builder numThreads(OptionalInt n) {
            this.numThreads = n;
            return this;
        }

        public Builder stackSize(long bytes) {
            this.stackSize = bytes;
            return this;
        }

        public Builder enableWorkStealing(boolean on) {
            this.enableWorkStealing = on;
            return this;
        }

        public Builder numaAware(boolean on) {
            this.numaAware = on;
            return this;
        }

        public Builder pinThreads(boolean on) {
            this.pinThreads = on;
            return this;
        }

        public Builder queueCapacity(int capacity) {
            this.queueCapacity = capacity;
            return this;
        }

        public Builder spinTime(Duration time) {
            this.spinTime = time;
            return this;
        }

        public ThreadPoolConfig build() {
            return new ThreadPoolConfig(numThreads, stackSize, enableWorkStealing, numaAware, pinThreads, queueCapacity,
                    spinTime);
        }
    }
}
