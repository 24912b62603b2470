package io.numarrow.compute;

/**
 * The old name of {@link io.numarrow.io.BatchSink}.
 *
 * @deprecated moved to {@code io}: use {@link io.numarrow.io.BatchSink}
 */
@Deprecated
public interface BatchSink extends io.numarrow.io.BatchSink {
}
