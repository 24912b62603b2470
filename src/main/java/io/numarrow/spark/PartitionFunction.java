package io.numarrow.spark;

import java.util.Iterator;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.util.TaskCompletionListener;

/**
 * The function each task runs over its partition. Frees the partition's Arrow memory when the
 * task ends, also when it ends early (a {@code limit}, a failure) without draining the rows.
 */
final class PartitionFunction implements Function2<Integer, Iterator<InternalRow>, Iterator<InternalRow>> {
    private final PartitionSpec spec;

    PartitionFunction(PartitionSpec spec) {
        this.spec = spec;
    }

    @Override
    public Iterator<InternalRow> call(Integer partition, Iterator<InternalRow> rows) {
        // Before anything loads Arrow or the kernels: a JVM without numarrow's flags fails here, by name.
        ExecutorJvmCheck.require();
        PartitionTransform transform = new PartitionTransform(spec, partition, rows);
        TaskContext task = TaskContext.get();
        if (task != null) {
            task.addTaskCompletionListener((TaskCompletionListener) context -> transform.close());
        }
        return transform;
    }
}
