package io.numarrow.threading;

/** Thrown by {@link ThreadPool#submit} when the queue that would take the task is at capacity. */
public class QueueFullException extends RuntimeException {
    public QueueFullException(String message) {
        super(message);
    }
}
