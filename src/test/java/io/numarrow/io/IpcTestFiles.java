package io.numarrow.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compression.CompressionCodec;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;

/** Small Arrow IPC files for the reader tests: nullable ints, floats, strings and float lists. */
final class IpcTestFiles {
    private IpcTestFiles() {
    }

    /**
     * Writes {@code batches} batches of {@code rows} rows: {@code i} (int32, every 7th null),
     * {@code x} (float32), {@code s} (utf8, every 5th null), {@code v} (FixedSizeList<float32>[d]).
     */
    static void write(Path file, BufferAllocator allocator, int batches, int rows, int d,
                      CompressionUtil.CodecType codec) throws IOException {
        try (IntVector i = new IntVector("i", allocator);
             Float4Vector x = new Float4Vector("x", allocator);
             VarCharVector s = new VarCharVector("s", allocator);
             FixedSizeListVector v = (FixedSizeListVector) new Field("v",
                     FieldType.nullable(new ArrowType.FixedSizeList(d)),
                     List.of(new Field("item", FieldType.notNullable(new ArrowType.FloatingPoint(
                             FloatingPointPrecision.SINGLE)), null))).createVector(allocator)) {
            List<FieldVector> vectors = List.of(i, x, s, v);
            VectorSchemaRoot root = new VectorSchemaRoot(vectors.stream().map(FieldVector::getField).toList(), vectors, 0);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
                 ArrowFileWriter w = codec == null ? new ArrowFileWriter(root, null, ch)
                         : new ArrowFileWriter(root, null, ch, null, IpcOption.DEFAULT,
                         CompressionCodec.Factory.INSTANCE, codec)) {
                w.start();
                for (int b = 0; b < batches; b++) {
                    i.allocateNew(rows);
                    x.allocateNew(rows);
                    s.allocateNew(rows);
                    v.allocateNew();
                    Float4Vector item = (Float4Vector) v.getDataVector();
                    for (int r = 0; r < rows; r++) {
                        int g = b * rows + r;
                        if (g % 7 == 0) {
                            i.setNull(r);
                        } else {
                            i.set(r, g);
                        }
                        x.set(r, g * 0.25f);
                        if (g % 5 == 0) {
                            s.setNull(r);
                        } else {
                            s.setSafe(r, ("row " + g).getBytes(StandardCharsets.UTF_8));
                        }
                        v.setNotNull(r);
                        for (int c = 0; c < d; c++) {
                            item.setSafe(r * d + c, g + c / 100f);
                        }
                    }
                    item.setValueCount(rows * d);
                    root.setRowCount(rows);
                    w.writeBatch();
                }
                w.end();
            }
        }
    }

    /** Every batch of {@code file} as text, read by Arrow's own file reader: the reference. */
    static List<String> readWithArrow(Path file, BufferAllocator allocator) throws IOException {
        try (FileChannel ch = FileChannel.open(file);
             ArrowFileReader r = new ArrowFileReader(ch, allocator, CompressionCodec.Factory.INSTANCE)) {
            return batches(r);
        }
    }

    static List<String> batches(ArrowReader r) throws IOException {
        ArrayList<String> out = new ArrayList<>();
        while (r.loadNextBatch()) {
            out.add(r.getVectorSchemaRoot().contentToTSVString());
        }
        return out;
    }
}
