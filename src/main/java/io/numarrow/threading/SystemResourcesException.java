package io.numarrow.threading;

/** The system refused a resource the pool needs, such as a thread. */
public class SystemResourcesException extends RuntimeException {
    public SystemResourcesException(String message, Throwable cause) {
        super(message, cause);
    }
}
