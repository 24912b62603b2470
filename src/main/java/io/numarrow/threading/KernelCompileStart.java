package io.numarrow.threading;

import io.numarrow.jit.KernelCompile;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Starts the kernels' compile ({@link KernelCompile}, for a 256→256 matmul and softmax) on a thread of
 * its own: {@link ParallelOps#startWarmup()}'s body, in a class of its own so that a command line can
 * start it first thing, before {@code ParallelOps} itself is loaded (its logger would start the logging
 * library before the command line has set it up, and a few tens of milliseconds before the thread starts).
 */
public final class KernelCompileStart {
    private static final AtomicBoolean STARTED = new AtomicBoolean();

    private KernelCompileStart() {
    }

    /** Starts it once per JVM unless it already ran; returns at once. */
    public static void start() {
        start(null);
    }

    /**
     * Starts it before the logging library has started: the thread runs the part that makes no logger
     * ({@link KernelCompile#prepare()}), then waits until the returned action has run, which the caller
     * runs once slf4j has started. (Two threads starting slf4j at once make it print a warning.)
     */
    public static Runnable beforeLogging() {
        LoggingStarted started = new LoggingStarted();
        start(started.latch);
        return started;
    }

    /** The action {@link #beforeLogging} returns (a class, not a lambda: a lambda costs a class spun at start). */
    private static final class LoggingStarted implements Runnable {
        final CountDownLatch latch = new CountDownLatch(1);

        @Override
        public void run() {
            latch.countDown();
        }
    }

    private static void start(CountDownLatch loggingStarted) {
        if (KernelCompile.result() == null && STARTED.compareAndSet(false, true)) {
            Thread t = new Thread(() -> {
                KernelCompile.prepare();
                if (loggingStarted != null) {
                    awaitUninterruptibly(loggingStarted);
                }
                KernelCompile.compile(256, 256, true, true);
            }, "numarrow-kernel-compile");
            t.setDaemon(true);
            t.start();
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
