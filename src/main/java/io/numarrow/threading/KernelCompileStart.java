package io.numarrow.threading;

import io.numarrow.jit.KernelCompile;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Starts the kernels' compile ({@link KernelCompile}, for a 256→256 matmul and softmax, its softmax rounds on
 * a second thread) on a thread of its own: {@link ParallelOps#startWarmup()}'s body, in a class of its own so
 * that a command line can start it first thing, before {@code ParallelOps} itself is loaded (its logger would start the logging
 * library before the command line has set it up, and a few tens of milliseconds before the thread starts).
 */
public final class KernelCompileStart {
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    private KernelCompileStart() {
    }

    /**
     * Starts a daemon thread running {@code task}, the warm-up's softmax rounds, and returns it: what
     * {@link KernelCompile#compile(int, int, boolean, boolean, java.util.function.Function)} takes (it joins it).
     */
    public static Thread beside(Runnable task) {
        Thread t = new Thread(task, "numarrow-softmax-compile");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Starts it once per JVM unless it already ran; returns at once. */
    public static void start() {
        if (KernelCompile.result() == null && STARTED.compareAndSet(false, true)) {
            Thread t = new Thread(() -> KernelCompile.compile(256, 256, true, true, KernelCompileStart::beside),
                    "numarrow-kernel-compile");
            t.setDaemon(true);
            t.start();
        }
    }
}
