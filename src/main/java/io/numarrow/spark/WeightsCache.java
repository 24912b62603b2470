package io.numarrow.spark;

import io.numarrow.BadInputException;
import io.numarrow.io.WeightsFile;
import io.numarrow.tensor.Tensor;
import io.numarrow.threading.ParallelOps;
import io.numarrow.threading.PreparedWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The weight matrices (and biases) loaded in this JVM, one per {@link WeightsOrigin#cacheKey()}: a file
 * is read, or a model's coefficients converted, once however many tasks use them. A newer version of the
 * same path or model replaces the old one, which is freed when the last task holding it lets go.
 */
final class WeightsCache {
    private static final Logger LOG = LoggerFactory.getLogger(WeightsCache.class);

    private final BufferAllocator allocator;
    private final Map<String, Entry> entries = new HashMap<>();
    private long loads;
    private long prepares;

    private static final class Entry {
        final String path;
        final Tensor weights;
        /** The bias row, or null. */
        final Tensor bias;
        /** The weights packed for the kernels, made by the first task that computes; null until then. */
        PreparedWeights prepared;
        int holders;
        boolean replaced;

        Entry(String path, Tensor weights, Tensor bias) {
            this.path = path;
            this.weights = weights;
            this.bias = bias;
        }

        void free() {
            if (prepared != null) {
                prepared.close();
            }
            weights.close();
            if (bias != null) {
                bias.close();
            }
        }
    }

    /** A task's hold on a weight matrix; closing it lets the matrix be freed once replaced. */
    final class Lease implements AutoCloseable {
        private final String key;
        private final Entry entry;
        private boolean closed;

        private Lease(String key, Entry entry) {
            this.key = key;
            this.entry = entry;
        }

        Tensor weights() {
            return entry.weights;
        }

        /** The weights packed once per JVM for {@code parallel}'s kernels (the first caller packs them). */
        PreparedWeights prepared(ParallelOps parallel) {
            synchronized (WeightsCache.this) {
                if (closed) {
                    throw new IllegalStateException("weights lease " + key + " is closed");
                }
                if (entry.prepared == null) {
                    entry.prepared = parallel.prepare(entry.weights, entry.bias);
                    prepares++;
                }
                return entry.prepared;
            }
        }

        @Override
        public void close() {
            synchronized (WeightsCache.this) {
                if (closed) {
                    return;
                }
                closed = true;
                entry.holders--;
                if (entry.replaced && entry.holders == 0) {
                    entry.free();
                    LOG.debug("numarrow: freed replaced weights {}", key);
                }
            }
        }
    }

    WeightsCache(BufferAllocator allocator) {
        this.allocator = allocator;
    }

    /** The weights of {@code origin}, loading them if this JVM has not yet. */
    synchronized Lease acquire(WeightsOrigin origin) {
        String key = origin.cacheKey();
        Entry entry = entries.get(key);
        if (entry == null) {
            entry = switch (origin) {
                case WeightsSource file -> new Entry(file.path(), load(file), null);
                case EmbeddedWeights model -> {
                    Tensor[] loaded = model.load(allocator);
                    loads++;
                    yield new Entry(model.name(), loaded[0], loaded[1]);
                }
            };
            replaceOlderVersions(origin.name());
            entries.put(key, entry);
        }
        entry.holders++;
        return new Lease(key, entry);
    }

    private Tensor load(WeightsSource source) {
        long start = System.nanoTime();
        Path local;
        try {
            local = source.localFile();
        } catch (IOException e) {
            throw new BadInputException("weightsPath '" + source.path() + "': cannot copy it to this executor ("
                    + e.getMessage() + ")", e);
        }
        try {
            Tensor w = WeightsFile.load(local, allocator);
            loads++;
            LOG.info("numarrow: loaded weights {} version {} ({}×{}) in {} ms", source.path(), source.version(),
                    w.rows(), w.cols(), (System.nanoTime() - start) / 1_000_000);
            return w;
        } finally {
            if (!source.isLocal()) {
                try {
                    Files.deleteIfExists(local);
                } catch (IOException e) {
                    LOG.warn("numarrow: could not delete the temp copy {} of the weights", local, e);
                }
            }
        }
    }

    private void replaceOlderVersions(String path) {
        List<String> stale = new ArrayList<>();
        entries.forEach((key, e) -> {
            if (e.path.equals(path)) {
                stale.add(key);
            }
        });
        for (String key : stale) {
            Entry old = entries.remove(key);
            old.replaced = true;
            if (old.holders == 0) {
                old.free();
            }
        }
    }

    /** How many times weights were read (a file) or converted (a model's) in this JVM (tests check "once per JVM"). */
    synchronized long loads() {
        return loads;
    }

    /** How many times weights were packed for the kernels in this JVM (once per weights file). */
    synchronized long prepares() {
        return prepares;
    }

    synchronized void closeAll() {
        for (Entry e : entries.values()) {
            e.free();
        }
        entries.clear();
    }
}
