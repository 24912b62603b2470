package io.numarrow.compute;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.types.pojo.Schema;

/** The deprecated {@code compute} forms of the I/O seam, each forwarding to its {@code io} form. */
@SuppressWarnings("deprecation")
final class Forwarding {
    private Forwarding() {
    }

    static InputBatch batch(io.numarrow.io.InputBatch batch) {
        if (batch == null || batch instanceof InputBatch old) {
            return (InputBatch) batch;
        }
        return new InputBatch() {
            @Override
            public VectorSchemaRoot root() {
                return batch.root();
            }

            @Override
            public int index() {
                return batch.index();
            }

            @Override
            public void close() {
                batch.close();
            }
        };
    }

    /** A source under its old name. */
    static class Source implements BatchSource {
        private final io.numarrow.io.BatchSource source;

        Source(io.numarrow.io.BatchSource source) {
            this.source = source;
        }

        @Override
        public Schema schema() {
            return source.schema();
        }

        @Override
        public String describe() {
            return source.describe();
        }

        @Override
        public InputBatch next() throws IOException {
            return batch(source.next());
        }

        @Override
        public DictionaryProvider dictionaries() {
            return source.dictionaries();
        }

        @Override
        public Totals totals() {
            return source.totals();
        }

        @Override
        public List<Path> files() {
            return source.files();
        }

        @Override
        public RuntimeException explainFault(InternalError fault) {
            return source.explainFault(fault);
        }

        @Override
        public int maxInFlight() {
            return source.maxInFlight();
        }

        @Override
        public void close() throws IOException {
            source.close();
        }
    }

    /** A sink under its old name. */
    static class Sink implements BatchSink {
        private final io.numarrow.io.BatchSink sink;

        Sink(io.numarrow.io.BatchSink sink) {
            this.sink = sink;
        }

        @Override
        public void write(VectorSchemaRoot batch) throws IOException {
            sink.write(batch);
        }

        @Override
        public void commit() throws IOException {
            sink.commit();
        }

        @Override
        public void close() throws IOException {
            sink.close();
        }
    }
}
