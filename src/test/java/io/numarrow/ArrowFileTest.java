package io.numarrow;

import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A test that writes and reads Arrow files: for each test, a {@link LeakCheckedAllocator} (a buffer
 * left open fails the test) and a fresh folder.
 */
public abstract class ArrowFileTest {
    @RegisterExtension
    protected final LeakCheckedAllocator allocator = new LeakCheckedAllocator();
    @TempDir
    protected Path dir;
}
