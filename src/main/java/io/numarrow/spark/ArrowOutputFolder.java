package io.numarrow.spark;

import io.numarrow.BadInputException;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;

/**
 * The folder an Arrow output ({@link NumarrowTransformer#writeArrow}) goes to, and its commit: each task
 * attempt writes {@code _temporary/part-PPPPP-attempt-A.arrow}; after the job the driver renames the one
 * attempt Spark took for each partition onto {@code part-PPPPP.arrow}, deletes {@code _temporary} (with
 * whatever killed or failed attempts left there) and writes {@code _SUCCESS}. So every row is in the
 * folder once, and only after the whole job succeeded.
 *
 * @param path       the folder, qualified ({@code file:/...}, {@code hdfs://...})
 * @param hadoopConf the driver's Hadoop configuration for the executors, null for a local folder (the
 *                   executors write it with plain file channels)
 */
record ArrowOutputFolder(String path, Broadcast<SerializableConfiguration> hadoopConf) implements Serializable {
    static final String TEMPORARY = "_temporary";
    static final String SUCCESS = "_SUCCESS";

    /**
     * On the driver: the folder {@code userPath} made ready for a job by {@code mode} (an existing one is
     * refused, or deleted for {@code Overwrite}), with an empty {@code _temporary} in it.
     */
    static ArrowOutputFolder prepare(SparkSession spark, String userPath, SaveMode mode) {
        if (mode != SaveMode.ErrorIfExists && mode != SaveMode.Overwrite) {
            throw new BadInputException("NumarrowTransformer.writeArrow: mode " + mode
                    + " is not supported; use ErrorIfExists or Overwrite");
        }
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path p = new Path(userPath);
        try {
            FileSystem fs = withoutChecksums(p.getFileSystem(conf));
            Path qualified = fs.makeQualified(p);
            if (fs.exists(qualified)) {
                if (mode == SaveMode.ErrorIfExists) {
                    throw new BadInputException("NumarrowTransformer.writeArrow: output '" + userPath
                            + "' already exists; choose another, or overwrite it (mode Overwrite)");
                }
                fs.delete(qualified, true);
            }
            if (!fs.mkdirs(new Path(qualified, TEMPORARY))) {
                throw new IOException("cannot make " + new Path(qualified, TEMPORARY));
            }
            boolean local = "file".equals(qualified.toUri().getScheme());
            Broadcast<SerializableConfiguration> shipped = local ? null
                    : spark.sparkContext().broadcast(new SerializableConfiguration(conf),
                    scala.reflect.ClassTag$.MODULE$.apply(SerializableConfiguration.class));
            return new ArrowOutputFolder(qualified.toString(), shipped);
        } catch (IOException e) {
            throw new UncheckedIOException("NumarrowTransformer.writeArrow: cannot prepare output '" + userPath + "'", e);
        }
    }

    /** The name, under {@code _temporary}, of partition {@code partition}'s file from task attempt {@code attempt}. */
    static String attemptFile(int partition, long attempt) {
        return String.format("part-%05d-attempt-%d.arrow", partition, attempt);
    }

    /** The committed name of partition {@code partition}'s file. */
    static String partFile(int partition) {
        return String.format("part-%05d.arrow", partition);
    }

    /** On an executor: a new file {@code _temporary/NAME} (never an existing one), open for writing. */
    WritableByteChannel create(String name) throws IOException {
        Path file = new Path(new Path(path, TEMPORARY), name);
        if (hadoopConf == null) {
            return FileChannel.open(java.nio.file.Path.of(file.toUri()), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
        }
        return Channels.newChannel(file.getFileSystem(hadoopConf.value().value()).create(file, false));
    }

    /** On an executor: deletes {@code _temporary/NAME} if it is there (a failed attempt's file). */
    void deleteAttempt(String name) {
        Path file = new Path(new Path(path, TEMPORARY), name);
        try {
            if (hadoopConf == null) {
                Files.deleteIfExists(java.nio.file.Path.of(file.toUri()));
            } else {
                file.getFileSystem(hadoopConf.value().value()).delete(file, false);
            }
        } catch (IOException e) {
            // the driver deletes _temporary with it after the job
        }
    }

    /**
     * On the driver, after the job: each partition's file onto its {@code part-} name, then
     * {@code _temporary} deleted and {@code _SUCCESS} written. Returns the rows written.
     */
    long commit(SparkSession spark, List<ArrowPart> parts) {
        List<ArrowPart> sorted = new ArrayList<>(parts);
        sorted.sort(Comparator.comparingInt(ArrowPart::partition));
        long rows = 0;
        try {
            FileSystem fs = fileSystem(spark);
            Path folder = new Path(path);
            Path temporary = new Path(folder, TEMPORARY);
            int last = -1;
            for (ArrowPart part : sorted) {
                if (part.partition() == last) {
                    throw new IllegalStateException("two committed attempts of partition " + last + ": " + parts);
                }
                last = part.partition();
                Path from = new Path(temporary, part.file());
                Path to = new Path(folder, partFile(part.partition()));
                if (!fs.rename(from, to)) {
                    throw new IOException("cannot rename " + from + " to " + to);
                }
                rows += part.rows();
            }
            fs.delete(temporary, true);
            fs.create(new Path(folder, SUCCESS), false).close();
            return rows;
        } catch (IOException e) {
            throw new UncheckedIOException("NumarrowTransformer.writeArrow: cannot commit the output " + path, e);
        }
    }

    /** On the driver, after a failed job: deletes {@code _temporary}, so nothing of the job is left. */
    void abort(SparkSession spark) {
        try {
            fileSystem(spark).delete(new Path(new Path(path), TEMPORARY), true);
        } catch (IOException e) {
            // the job's own failure is the one to report
        }
    }

    private FileSystem fileSystem(SparkSession spark) throws IOException {
        return withoutChecksums(new Path(path).getFileSystem(spark.sparkContext().hadoopConfiguration()));
    }

    /** The local filesystem without Hadoop's .crc side files, which the executors' files do not have. */
    private static FileSystem withoutChecksums(FileSystem fs) {
        return fs instanceof LocalFileSystem local ? local.getRawFileSystem() : fs;
    }
}
