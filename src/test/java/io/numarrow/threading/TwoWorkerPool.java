package io.numarrow.threading;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A pool of two workers and its {@link ParallelOps}, shared by one test class and closed after it:
 * register it as a static field with {@code @RegisterExtension}. Two workers, so that tiled calls
 * really run on more than one thread of the two-core test machines.
 */
public final class TwoWorkerPool implements AfterAllCallback {
    private final ThreadPool pool = ThreadPool.init(ThreadPoolConfig.builder().numThreads(2).build());
    private final ParallelOps parallel = new ParallelOps(pool);

    public ParallelOps parallel() {
        return parallel;
    }

    @Override
    public void afterAll(ExtensionContext context) {
        pool.close();
    }
}
