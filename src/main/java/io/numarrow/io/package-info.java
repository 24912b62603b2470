/**
 * Files in and out. The seam every job reads and writes through: {@link io.numarrow.io.BatchSource},
 * {@link io.numarrow.io.InputBatch} and {@link io.numarrow.io.BatchSink}, chosen by
 * {@link io.numarrow.io.Formats}. Arrow IPC files: readers over files (checked before they are
 * trusted) that map the file and hand out its record batches as Arrow buffers over the mapping,
 * without copying, and writers that write to a temporary file renamed into place only when complete
 * ({@link io.numarrow.io.AtomicOutput}). The weights file ({@link io.numarrow.io.WeightsFile}).
 * Parquet lives in {@code io.parquet}, which depends on this package and not the other way round.
 */
package io.numarrow.io;
