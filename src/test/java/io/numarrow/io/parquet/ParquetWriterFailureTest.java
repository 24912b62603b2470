package io.numarrow.io.parquet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.junit.jupiter.api.Test;

/** Issue 27 item 5: the Parquet writer's failures free what they hold and say why in one plain line. */
class ParquetWriterFailureTest {
    /** DuckDB's message for a full disk, as it came (one line, JSON inside). */
    private static final String FULL = "IO Error: Async write failed for range [offset=16342002, size=8120887]: "
            + "{\"exception_type\":\"IO\",\"exception_message\":\"Could not write file \\\"/d/tmp_.out.parquet.7.tmp\\\": "
            + "No space left on device\",\"errno\":\"28\"}";

    @Test
    void anIoErrorIsTheOperatingSystemsReasonNotDuckDbsJson() {
        assertEquals("No space left on device", DuckDb.message(new SQLException(FULL)));
        assertEquals("Permission denied", DuckDb.message(new SQLException(FULL.replace("No space left on device",
                "Permission denied").replace("28", "13"))));
        assertEquals("IO Error: No files found that match the pattern \"x\"",
                DuckDb.message(new SQLException("IO Error: No files found that match the pattern \"x\"\n\nLINE 1: SELECT")),
                "other messages: their first line, as before");
        assertEquals("a \"quoted\" reason", DuckDb.message(new SQLException(
                "IO Error: {\"exception_message\":\"a \\\"quoted\\\" reason\"}")), "no file named: the whole message");
    }

    /** A batch the writer cannot queue because its thread was interrupted (a failing pipeline) is freed. */
    @Test
    void aBatchThatCannotBeQueuedIsClosed() throws Exception {
        try (BufferAllocator allocator = new RootAllocator();
             Float4Vector v = new Float4Vector("x", allocator)) {
            v.allocateNew(1000);
            v.setValueCount(1000);
            VectorSchemaRoot root = VectorSchemaRoot.of(v);
            int alone = v.getDataBuffer().refCnt();
            try (QueuedArrowReader reader = new QueuedArrowReader(allocator, root.getSchema())) {
                ArrowRecordBatch batch = new VectorUnloader(root).getRecordBatch();
                int perBatch = v.getDataBuffer().refCnt() - alone;
                assertTrue(perBatch > 0, "a batch holds references to the vector's buffers");
                Thread.currentThread().interrupt();
                assertThrows(InterruptedException.class, () -> reader.put(batch, () -> true));
                assertEquals(alone, v.getDataBuffer().refCnt(), "the batch that could not be queued let go of them");

                reader.put(new VectorUnloader(root).getRecordBatch(), () -> true);
                reader.put(new VectorUnloader(root).getRecordBatch(), () -> true); // the queue (2) is full now
                ArrowRecordBatch refused = new VectorUnloader(root).getRecordBatch();
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> reader.put(refused, () -> false));
                assertTrue(e.getMessage().contains("stopped"), e.getMessage());
                assertEquals(alone + 2 * perBatch, v.getDataBuffer().refCnt(), "a batch refused because the writer stopped let go too");
            }
            assertEquals(alone, v.getDataBuffer().refCnt(), "closing the reader dropped what was queued");
            root.close();
        }
    }
}
