package io.numarrow.bench.memory;

import java.util.concurrent.atomic.LongAdder;
import org.apache.arrow.memory.AllocationManager;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.unsafe.UnsafeAllocationManager;

/**
 * Arrow's default allocation manager here (Unsafe: netty is not on the classpath), counting the bytes it allocates. Foreign allocations (the
 * mapped reader's views of a file) do not pass through a factory, so this counts what a reader
 * really allocates off heap.
 */
final class CountingAllocationFactory implements AllocationManager.Factory {
    private final AllocationManager.Factory delegate = UnsafeAllocationManager.FACTORY;
    final LongAdder bytes = new LongAdder();

    @Override
    public AllocationManager create(BufferAllocator accountingAllocator, long size) {
        bytes.add(size);
        return delegate.create(accountingAllocator, size);
    }

    @Override
    public ArrowBuf empty() {
        return delegate.empty();
    }
}
