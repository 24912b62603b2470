package io.numarrow.compute;

import io.numarrow.threading.WorkItem;
import java.util.concurrent.ExecutionException;

/**
 * Waits for a pool task that writes into a sink (a batch's finish, the input copied ahead): never
 * left early on an interrupt, since the caller may close the sink next; the interrupt is kept for
 * after, and what failed the task is thrown unchecked.
 */
final class SinkTaskWait {
    private SinkTaskWait() {
    }

    /** Waits for {@code task}; {@code what} names it in the exception a checked cause is wrapped in. */
    static void await(WorkItem task, String what) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    task.await();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException r) {
                        throw r;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(what + " failed", cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
