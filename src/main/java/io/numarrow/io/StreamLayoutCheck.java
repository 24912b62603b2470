package io.numarrow.io;

import io.numarrow.BadInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.DictionaryBatch;
import org.apache.arrow.flatbuf.Endianness;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.flatbuf.Schema;

/**
 * Walks an Arrow IPC stream file message by message before Arrow's stream reader sees it: every
 * metadata length, body length, buffer range, node length and declared decompressed length is checked
 * against the file's size, so the reader never allocates for a length the file cannot hold (a 265 KB
 * stream once drove it to 13 GB of memory). Only the metadata is read; bodies are skipped. The schema
 * message also tells the data's byte order ({@link BigEndianInput}).
 */
final class StreamLayoutCheck {
    private StreamLayoutCheck() {
    }

    /** Checks the stream and says whether its schema message declares big-endian data. */
    static boolean check(Path file, FileChannel ch, long size) {
        long pos = 0;
        int index = 0;
        boolean schemaSeen = false;
        boolean bigEndian = false;
        try {
            while (pos < size) {
                if (size - pos < 4) {
                    throw bad(file, index, pos, "the file ends inside a message's length");
                }
                int first = readInt(ch, pos);
                int length;
                if (first == -1) {
                    if (size - pos < 8) {
                        throw bad(file, index, pos, "the file ends inside a message's length");
                    }
                    length = readInt(ch, pos + 4);
                    pos += 8;
                } else {
                    length = first; // the pre-1.0 format: no continuation marker
                    pos += 4;
                }
                if (length == 0) {
                    return bigEndian; // end-of-stream marker
                }
                if (length < 0 || length > size - pos) {
                    throw bad(file, index, pos, "metadata length " + length + " runs past the end of the "
                            + size + "-byte file");
                }
                ByteBuffer meta = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, meta, pos);
                meta.flip();
                Message message = Message.getRootAsMessage(meta);
                long body = message.bodyLength();
                long bodyStart = pos + length;
                if (body < 0 || body > size - bodyStart) {
                    throw bad(file, index, pos, "body of " + body + " bytes runs past the end of the "
                            + size + "-byte file");
                }
                byte type = message.headerType();
                if (!schemaSeen && type != MessageHeader.Schema) {
                    throw bad(file, index, pos, "the stream does not start with a schema");
                }
                if (type == MessageHeader.Schema) {
                    Schema schema = (Schema) message.header(new Schema());
                    if (schema == null) {
                        throw bad(file, index, pos, "a schema message without its schema");
                    }
                    schemaSeen = true;
                    bigEndian = schema.endianness() == Endianness.Big;
                } else if (type == MessageHeader.RecordBatch) {
                    checkBatch(file, ch, index, pos, (RecordBatch) message.header(new RecordBatch()), bodyStart, body);
                } else if (type == MessageHeader.DictionaryBatch) {
                    DictionaryBatch d = (DictionaryBatch) message.header(new DictionaryBatch());
                    checkBatch(file, ch, index, pos, d == null ? null : d.data(), bodyStart, body);
                }
                pos = bodyStart + body;
                index++;
            }
            return bigEndian;
        } catch (BadInputException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw bad(file, index, pos, "unreadable message (" + e + ")");
        }
    }

    private static void checkBatch(Path file, FileChannel ch, int index, long pos, RecordBatch rb, long bodyStart,
                                   long body) throws IOException {
        if (rb == null) {
            throw bad(file, index, pos, "a batch message without its header");
        }
        if (rb.length() < 0 || rb.length() > Integer.MAX_VALUE) {
            throw bad(file, index, pos, "row count " + rb.length() + " is outside 0.." + Integer.MAX_VALUE);
        }
        FieldNode node = new FieldNode();
        for (int i = 0; i < rb.nodesLength(); i++) {
            rb.nodes(node, i);
            if (node.length() < 0 || node.length() > Integer.MAX_VALUE || node.nullCount() < 0
                    || node.nullCount() > node.length()) {
                throw bad(file, index, pos, "field node " + i + " has length " + node.length() + " and null count "
                        + node.nullCount());
            }
        }
        boolean compressed = rb.compression() != null;
        Buffer buffer = new Buffer();
        for (int i = 0; i < rb.buffersLength(); i++) {
            rb.buffers(buffer, i);
            long off = buffer.offset();
            long len = buffer.length();
            if (off < 0 || len < 0 || off > body || len > body - off) {
                throw bad(file, index, pos, "buffer " + i + " [" + off + ", +" + len + ") lies outside the "
                        + body + "-byte body");
            }
            if (compressed && len >= 8) {
                String refusal = BoundedCodecFactory.refusal(readLong(ch, bodyStart + off), len - 8);
                if (refusal != null) {
                    throw bad(file, index, pos, "compressed buffer " + i + ": " + refusal);
                }
            }
        }
    }

    private static BadInputException bad(Path file, int index, long pos, String why) {
        return new BadInputException(file + ": corrupt Arrow stream: message " + index + " at byte " + pos + ": " + why);
    }

    private static int readInt(FileChannel ch, long pos) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, b, pos);
        return b.getInt(0);
    }

    private static long readLong(FileChannel ch, long pos) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, b, pos);
        return b.getLong(0);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, pos + b.position());
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + (pos + b.position()));
            }
        }
    }
}
