package io.numarrow.io.parquet;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.util.Base64;
import org.apache.arrow.vector.ipc.ReadChannel;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The {@code ARROW:schema} key of a Parquet file's metadata, as Arrow C++ (pyarrow) and arrow-rs
 * write and read it: the Arrow schema as an IPC schema message, base64. It keeps what Parquet's own
 * types cannot say, such as a FixedSizeList's size or an extension type.
 */
final class ArrowSchemaMetadata {
    static final String KEY = "ARROW:schema";

    private ArrowSchemaMetadata() {
    }

    static String encode(Schema schema) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            MessageSerializer.serialize(new WriteChannel(Channels.newChannel(bytes)), schema);
        } catch (IOException e) {
            throw new IllegalStateException("serializing a schema in memory", e);
        }
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    /** The schema in {@code base64}, or null when it is not one Arrow Java can read. */
    static Schema decode(String base64) {
        try {
            byte[] bytes = Base64.getDecoder().decode(base64.strip());
            return MessageSerializer.deserializeSchema(new ReadChannel(Channels.newChannel(new ByteArrayInputStream(bytes))));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
