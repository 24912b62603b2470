package io.numarrow.spark;

/**
 * An executor JVM lacks a flag of numarrow's {@code jvm.flags}; the message names it. Thrown by the
 * first task on that executor, it reaches the driver as the cause of the job's failure.
 */
public final class MissingJvmFlagException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public MissingJvmFlagException(String message) {
        super(message);
    }
}
