package io.numarrow.spark;

import java.net.URI;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * A Hadoop filesystem with its own scheme ({@code numarrowtest:}) over the local disk: lets a test
 * take the "copy from a Hadoop filesystem" road, with the filesystem known only through the
 * driver's Hadoop configuration, as {@code s3a:} or {@code hdfs:} would be on a cluster.
 */
public class SchemeOnLocalDisk extends RawLocalFileSystem {
    static final String SCHEME = "numarrowtest";

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }
}
