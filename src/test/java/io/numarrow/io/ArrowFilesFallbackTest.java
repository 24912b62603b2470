package io.numarrow.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Files the mapped reader leaves to Arrow's own readers: dictionary-encoded files and streams. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ArrowFilesFallbackTest {
    @TempDir
    Path dir;

    @Test
    void dictionaryEncodedFilesAreReadByArrowsReaderWithTheirDictionaries() throws Exception {
        Path file = dir.resolve("dict.arrow");
        try (BufferAllocator a = new RootAllocator();
             VarCharVector dictValues = new VarCharVector("colors", a);
             VarCharVector raw = new VarCharVector("color", a)) {
            dictValues.allocateNew();
            String[] colors = {"red", "green", "blue"};
            for (int i = 0; i < colors.length; i++) {
                dictValues.setSafe(i, colors[i].getBytes(StandardCharsets.UTF_8));
            }
            dictValues.setValueCount(colors.length);
            Dictionary dictionary = new Dictionary(dictValues, new DictionaryEncoding(1L, false, null));
            raw.allocateNew();
            for (int i = 0; i < 17; i++) {
                raw.setSafe(i, colors[i % 3].getBytes(StandardCharsets.UTF_8));
            }
            raw.setValueCount(17);
            try (FieldVector encoded = (FieldVector) DictionaryEncoder.encode(raw, dictionary)) {
                DictionaryProvider.MapDictionaryProvider provider = new DictionaryProvider.MapDictionaryProvider(dictionary);
                VectorSchemaRoot root = new VectorSchemaRoot(List.of(encoded.getField()), List.<FieldVector>of(encoded), 17);
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                     ArrowFileWriter w = new ArrowFileWriter(root, provider, ch)) {
                    w.start();
                    w.writeBatch();
                    w.end();
                }
            }
            // the reader's own allocator: closing it fails the test if the reader leaked
            try (BufferAllocator reading = a.newChildAllocator("reading", 0, Long.MAX_VALUE);
                 ArrowReader r = ArrowFiles.read(file, reading)) {
                assertInstanceOf(ArrowFileReader.class, r);
                assertTrue(r.loadNextBatch());
                IntVector ids = (IntVector) r.getVectorSchemaRoot().getVector("color");
                VarCharVector values = (VarCharVector) r.lookup(1L).getVector();
                assertEquals("blue", new String(values.get(ids.get(5)), StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void streamsAreStillReadByArrowsStreamReader() throws Exception {
        Path file = dir.resolve("stream.arrows");
        try (BufferAllocator a = new RootAllocator(); IntVector v = new IntVector("v", a)) {
            v.allocateNew(15);
            for (int i = 0; i < 15; i++) {
                v.set(i, i * i);
            }
            v.setValueCount(15);
            VectorSchemaRoot root = new VectorSchemaRoot(List.of(v.getField()), List.<FieldVector>of(v), 15);
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 ArrowStreamWriter w = new ArrowStreamWriter(root, null, ch)) {
                w.start();
                w.writeBatch();
                w.end();
            }
            try (ArrowReader r = ArrowFiles.read(file, a)) {
                assertInstanceOf(ArrowStreamReader.class, r);
                assertTrue(r.loadNextBatch());
                assertEquals(196, ((IntVector) r.getVectorSchemaRoot().getVector("v")).get(14));
            }
        }
    }
}
