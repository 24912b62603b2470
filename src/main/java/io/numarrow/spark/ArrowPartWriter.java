package io.numarrow.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.arrow.ArrowFieldWriter;
import org.apache.spark.sql.execution.arrow.ArrowWriter$;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.ArrowUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each task of {@link NumarrowTransformer#writeArrow} runs: its partition scored batch by batch
 * ({@link PartitionTransform}) and written as one Arrow IPC file straight from numarrow's columns,
 * with no Spark row made for the output. The features and the ops' result are numarrow's own
 * vectors; the other input columns go through Spark's Arrow writer, value by value from the kept
 * input rows. The file is the attempt's own under {@code _temporary} ({@link ArrowOutputFolder}); a
 * failed attempt deletes it, and the driver commits the finished ones.
 *
 * @param spec       the transform
 * @param input      the input's schema (the written file keeps its columns in its order)
 * @param timeZone   the session's time zone, for Spark's conversion of timestamps
 * @param folder     where the file goes
 */
record ArrowPartWriter(PartitionSpec spec, StructType input, String timeZone, ArrowOutputFolder folder)
        implements Function2<Integer, Iterator<InternalRow>, Iterator<ArrowPart>> {
    private static final Logger LOG = LoggerFactory.getLogger(ArrowPartWriter.class);

    @Override
    public Iterator<ArrowPart> call(Integer partition, Iterator<InternalRow> rows) {
        ExecutorJvmCheck.require();
        TaskContext task = TaskContext.get();
        long attempt = task != null ? task.taskAttemptId() : 0;
        long start = System.nanoTime();
        try (PartitionTransform transform = new PartitionTransform(spec, partition, rows, true)) {
            if (!transform.nextColumns()) {
                return Collections.emptyIterator(); // no rows, no file
            }
            String name = ArrowOutputFolder.attemptFile(partition, attempt);
            try {
                long written = write(transform, partition, name);
                LOG.info(String.format("numarrow: partition %d: %,d rows scored and written to %s in %.1f ms",
                        partition, written, name, (System.nanoTime() - start) / 1e6));
                return List.of(new ArrowPart(partition, attempt, written, name)).iterator();
            } catch (IOException e) {
                folder.deleteAttempt(name);
                throw new UncheckedIOException("numarrow: partition " + partition + ": cannot write " + name, e);
            } catch (RuntimeException | Error e) {
                folder.deleteAttempt(name);
                throw e;
            }
        }
    }

    /** Writes every batch of {@code transform}, the first already computed; returns the rows written. */
    private long write(PartitionTransform transform, int partition, String name) throws IOException {
        int featuresAt = spec.column().index();
        StructType others = new StructType();
        List<Integer> ordinals = new ArrayList<>();
        for (int i = 0; i < input.fields().length; i++) {
            if (i != featuresAt) {
                StructField f = input.fields()[i];
                others = others.add(f);
                ordinals.add(i);
            }
        }
        try (BufferAllocator allocator = ExecutorResources.get().rootAllocator()
                .newChildAllocator("numarrow-arrow-output-" + partition, 0, Long.MAX_VALUE);
             VectorSchemaRoot passed = VectorSchemaRoot.create(ArrowUtils.toArrowSchema(others, timeZone, true, false),
                     allocator)) {
            List<FieldVector> passedVectors = passed.getFieldVectors();
            ArrowFieldWriter[] writers = new ArrowFieldWriter[passedVectors.size()];
            for (int i = 0; i < writers.length; i++) {
                writers[i] = ArrowWriter$.MODULE$.createFieldWriter(passedVectors.get(i));
            }
            List<FieldVector> vectors = new ArrayList<>(passedVectors);
            vectors.add(featuresAt, transform.features());
            if (spec.columns().scores() != null) {
                vectors.add(transform.scores());
            }
            if (transform.classes() != null) {
                vectors.add(transform.classes());
            }
            List<Field> fields = vectors.stream().map(FieldVector::getField).toList();
            // not closed: its vectors belong to passed and to the transform
            VectorSchemaRoot root = new VectorSchemaRoot(fields, vectors, 0);
            long rowsWritten = 0;
            try (WritableByteChannel channel = folder.create(name);
                 ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
                writer.start();
                do {
                    int n = transform.batchSize();
                    for (int c = 0; c < writers.length; c++) {
                        ArrowFieldWriter w = writers[c];
                        int ordinal = ordinals.get(c);
                        w.reset();
                        for (int r = 0; r < n; r++) {
                            w.write(transform.batchRow(r), ordinal);
                        }
                        w.finish();
                    }
                    root.setRowCount(n);
                    writer.writeBatch();
                    rowsWritten += n;
                } while (transform.nextColumns());
                writer.end();
            }
            return rowsWritten;
        }
    }
}
