package io.numarrow.io;

import io.numarrow.compute.SyntheticData;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.compression.CompressionUtil;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;

/**
 * Writes {@link ReaderFuzzTest}'s seed corpus: one small valid file per input path. Run once, by hand:
 * {@code java -cp target/test-classes:target/classes:target/lib/* io.numarrow.io.FuzzSeeds DIR}.
 */
public final class FuzzSeeds {
    private FuzzSeeds() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        try (BufferAllocator a = new RootAllocator()) {
            IpcTestFiles.write(dir.resolve("plain-file"), a, 2, 5, 3, null);
            IpcTestFiles.write(dir.resolve("zstd-file"), a, 2, 5, 3, CompressionUtil.CodecType.ZSTD);
            IpcTestFiles.write(dir.resolve("lz4-file"), a, 1, 5, 3, CompressionUtil.CodecType.LZ4_FRAME);
            SyntheticData.writeWeights(dir.resolve("weights-file"), a, 4, 3, 1);
            SyntheticData.writeFeatures(dir.resolve("features-file"), a, 6, 4, 2, 3, 1);
            // the same batches as a stream
            try (FileChannel in = FileChannel.open(dir.resolve("plain-file"));
                 ArrowFileReader r = new ArrowFileReader(in, a);
                 FileChannel out = FileChannel.open(dir.resolve("stream"), StandardOpenOption.CREATE,
                         StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 ArrowStreamWriter w = new ArrowStreamWriter(r.getVectorSchemaRoot(), null, out)) {
                w.start();
                while (r.loadNextBatch()) {
                    w.writeBatch();
                }
                w.end();
            }
            writeDictionaryFile(dir.resolve("dictionary-file"), a);
        }
    }

    private static void writeDictionaryFile(Path file, BufferAllocator a) throws Exception {
        try (VarCharVector values = new VarCharVector("dict", a); VarCharVector raw = new VarCharVector("s", a)) {
            values.allocateNew();
            values.setSafe(0, "a".getBytes());
            values.setSafe(1, "b".getBytes());
            values.setValueCount(2);
            raw.allocateNew();
            for (int i = 0; i < 4; i++) {
                raw.setSafe(i, (i % 2 == 0 ? "a" : "b").getBytes());
            }
            raw.setValueCount(4);
            Dictionary dictionary = new Dictionary(values, new DictionaryEncoding(1L, false, null));
            try (FieldVector encoded = (FieldVector) DictionaryEncoder.encode(raw, dictionary)) {
                DictionaryProvider.MapDictionaryProvider provider = new DictionaryProvider.MapDictionaryProvider(dictionary);
                VectorSchemaRoot root = new VectorSchemaRoot(List.of(encoded.getField()), List.<FieldVector>of(encoded), 4);
                try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING);
                     ArrowFileWriter w = new ArrowFileWriter(root, provider, out)) {
                    w.start();
                    w.writeBatch();
                    w.end();
                }
            }
        }
    }
}
