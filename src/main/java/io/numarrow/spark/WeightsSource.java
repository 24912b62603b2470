package io.numarrow.spark;

import io.numarrow.BadInputException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

/**
 * A weights file as the driver found it: its qualified path, modification time and size. It
 * travels to the executors with the task, which load it once per JVM under {@link #cacheKey()}.
 * Files on a Hadoop filesystem other than the local one are copied to a local temp file first,
 * because {@code WeightsFile.load} reads a local path.
 *
 * @param path              the qualified path ({@code file:/...}, {@code hdfs://...}, {@code s3a://...})
 * @param modificationTime  when the driver saw it last changed; part of the cache key
 * @param length            its size in bytes, for messages and the cache key
 * @param hadoopConf        the driver's Hadoop configuration, null for local files
 */
record WeightsSource(String path, long modificationTime, long length,
                     Broadcast<SerializableConfiguration> hadoopConf) implements WeightsOrigin {

    /** Looks {@code userPath} up on the driver; a missing file fails here, before any task runs. */
    static WeightsSource resolve(String userPath, SparkSession spark) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path p = new Path(userPath);
        try {
            FileSystem fs = p.getFileSystem(conf);
            FileStatus status = fs.getFileStatus(p);
            if (status.isDirectory()) {
                throw new BadInputException("weightsPath '" + userPath + "' is a folder; it must be an Arrow IPC"
                        + " file of d rows of FixedSizeList<float32>[h]");
            }
            Path qualified = fs.makeQualified(p);
            boolean local = "file".equals(qualified.toUri().getScheme());
            Broadcast<SerializableConfiguration> shipped = local ? null
                    : spark.sparkContext().broadcast(new SerializableConfiguration(conf),
                    scala.reflect.ClassTag$.MODULE$.apply(SerializableConfiguration.class));
            return new WeightsSource(qualified.toString(), status.getModificationTime(), status.getLen(), shipped);
        } catch (FileNotFoundException e) {
            throw new BadInputException("weightsPath '" + userPath + "': no such file (every executor must be able"
                    + " to read it: a local path present on every node, or a Hadoop filesystem path)", e);
        } catch (IOException e) {
            throw new BadInputException("weightsPath '" + userPath + "': cannot read (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public String name() {
        return path;
    }

    @Override
    public String describeShape(int d, int h) {
        return "the weights " + path + " are " + d + "×" + h;
    }

    @Override
    public String cacheKey() {
        return path + "@" + version();
    }

    /** The file's version as the driver saw it: modification time and size. */
    String version() {
        return modificationTime + "/" + length;
    }

    boolean isLocal() {
        return hadoopConf == null;
    }

    /** The local file to load: the file itself when local, else a fresh temp copy the caller deletes. */
    java.nio.file.Path localFile() throws IOException {
        Path p = new Path(path);
        if (isLocal()) {
            return java.nio.file.Path.of(p.toUri());
        }
        return copyToLocal(p.getFileSystem(hadoopConf.value().value()), p);
    }

    /** Copies {@code file} from {@code fs} to a new local temp file. */
    static java.nio.file.Path copyToLocal(FileSystem fs, Path file) throws IOException {
        java.nio.file.Path tmp = Files.createTempFile("numarrow-weights-", ".arrow");
        try (InputStream in = fs.open(file)) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            return tmp;
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }
}
