package io.numarrow;

import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test's own root allocator, closed after the test so that a buffer it leaked fails it: register it
 * as an instance field with {@code @RegisterExtension}, so that each test gets a fresh one.
 */
public final class LeakCheckedAllocator extends RootAllocator implements AfterEachCallback {
    @Override
    public void afterEach(ExtensionContext context) {
        close(); // throws, naming the buffers, if any is still open
    }
}
