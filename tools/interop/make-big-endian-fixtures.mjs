// Writes data/interop/big-endian/: Arrow IPC files as a big-endian machine's Arrow writes them, so
// numarrow's tests read the byte order that x86 and ARM never produce. Each is the twin of a
// little-endian file written by Arrow JS (the `apache-arrow` npm package): the schema says
// Endianness.Big (in the stream's schema message and the file's footer) and every buffer's values are
// byte-swapped, element by element, by their type; validity bitmaps, booleans and bytes stay as they are.
//   cd /tmp && npm install apache-arrow@21.2.0 && node /path/to/numarrow/tools/interop/make-big-endian-fixtures.mjs /path/to/numarrow/data/interop
// Reads:  arrowjs-features.arrow, arrowjs-weights.arrow (tools/interop/make-arrowjs-fixture.mjs)
// Writes, under big-endian/, each in the file (.arrow) and the stream (.arrows) format:
//   features-be: the features twin (row_id int32, features FixedSizeList<float32>[12], null rows)
//   weights-be:  the weights twin (W 12×7)
//   mixed-le / mixed-be: a table of many column types (ints, floats, strings, lists, dates,
//     timestamps, booleans, nulls) and features, little-endian and its big-endian twin
//   dictionary-be.arrow: features and a dictionary-encoded string column
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const require = createRequire(join(process.cwd(), 'noop.js'));
const arrow = require('apache-arrow');
const { Schema: FbSchema } = require('apache-arrow/fb/schema');
const { Endianness } = require('apache-arrow/fb/endianness');
const { Message } = require('apache-arrow/fb/message');
const { MessageHeader } = require('apache-arrow/fb/message-header');
const { RecordBatch: FbRecordBatch } = require('apache-arrow/fb/record-batch');
const { DictionaryBatch: FbDictionaryBatch } = require('apache-arrow/fb/dictionary-batch');
const flatbuffers = require('flatbuffers');
const { Bool, DateDay, Dictionary, Field, FixedSizeList, Float32, Float64, Int16, Int32, Int64, List, RecordBatch,
        Schema, Struct, Table, TimestampMillisecond, Type, Utf8, makeData, tableFromIPC, tableToIPC, vectorFromArray } = arrow;

const interop = process.argv[2] ?? '.';
const outDir = join(interop, 'big-endian');
mkdirSync(outDir, { recursive: true });

// Arrow JS writes the platform's byte order into every schema it encodes; this writer says big-endian.
const addEndianness = FbSchema.addEndianness;
function encodeIpc(table, format, bigEndian) {
  FbSchema.addEndianness = bigEndian
    ? (b) => b.addFieldInt16(0, Endianness.Big, Endianness.Little)
    : addEndianness;
  try {
    const bytes = tableToIPC(table, format);
    return bigEndian ? swapBuffers(bytes, table.schema, format) : bytes;
  } finally {
    FbSchema.addEndianness = addEndianness;
  }
}

// The byte-swap unit of each of a type's buffers, in IPC order (0: leave alone), and its children.
function layout(type) {
  switch (type.typeId) {
    case Type.Null: return { units: [], children: [] };
    case Type.Bool: return { units: [0, 0], children: [] };
    case Type.Int: return { units: [0, type.bitWidth / 8], children: [] };
    case Type.Float: return { units: [0, [2, 4, 8][type.precision]], children: [] };
    case Type.Date: return { units: [0, type.unit === 0 ? 4 : 8], children: [] };
    case Type.Timestamp: return { units: [0, 8], children: [] };
    case Type.Utf8: case Type.Binary: return { units: [0, 4, 0], children: [] };
    case Type.List: return { units: [0, 4], children: type.children.map(f => f.type) };
    case Type.FixedSizeList: case Type.Struct: return { units: [0], children: type.children.map(f => f.type) };
    case Type.Dictionary: return { units: [0, type.indices.bitWidth / 8], children: [] };
    default: throw new Error(`this generator does not swap ${type} yet`);
  }
}

function swapBuffers(bytes, schema, format) {
  const out = bytes.slice();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let pos = 0;
  let end = out.byteLength;
  if (format === 'file') {
    pos = 8; // "ARROW1" and padding
    end = out.byteLength - 10 - view.getInt32(out.byteLength - 10, true); // the footer's start
  }
  const dictionaries = new Map();
  const collect = (type) => {
    if (type.typeId === Type.Dictionary) dictionaries.set(type.id, type.dictionary);
    (type.children ?? []).forEach(f => collect(f.type));
  };
  schema.fields.forEach(f => collect(f.type));
  while (pos < end) {
    let length = view.getInt32(pos, true);
    if (length === -1) { length = view.getInt32(pos + 4, true); pos += 8; } else { pos += 4; }
    if (length === 0) break; // end-of-stream marker
    const message = Message.getRootAsMessage(new flatbuffers.ByteBuffer(out.subarray(pos, pos + length)));
    const body = pos + length;
    if (message.headerType() === MessageHeader.RecordBatch) {
      swapBatch(out, body, message.header(new FbRecordBatch()), schema.fields.map(f => f.type));
    } else if (message.headerType() === MessageHeader.DictionaryBatch) {
      const batch = message.header(new FbDictionaryBatch());
      swapBatch(out, body, batch.data(), [dictionaries.get(Number(batch.id()))]);
    }
    pos = body + Number(message.bodyLength());
  }
  return out;
}

function swapBatch(bytes, body, batch, types) {
  let next = 0;
  const visit = (type) => {
    const { units, children } = layout(type);
    for (const unit of units) {
      const buffer = batch.buffers(next++);
      const start = body + Number(buffer.offset());
      const length = Number(buffer.length());
      if (unit > 1) {
        for (let i = start; i + unit <= start + length; i += unit) {
          bytes.subarray(i, i + unit).reverse();
        }
      }
    }
    children.forEach(visit);
  };
  types.forEach(visit);
  if (next !== batch.buffersLength()) {
    throw new Error(`swapped ${next} buffers of the batch's ${batch.buffersLength()}`);
  }
}

function writeBoth(name, table) {
  for (const [format, ext] of [['file', 'arrow'], ['stream', 'arrows']]) {
    const bigEndian = name.endsWith('-be');
    writeFileSync(join(outDir, `${name}.${ext}`), encodeIpc(table, format, bigEndian));
  }
  console.log(`${name}: ${table.numRows} rows in ${table.batches.length} batches, file and stream`);
}

writeBoth('features-be', tableFromIPC(readFileSync(join(interop, 'arrowjs-features.arrow'))));
writeBoth('weights-be', tableFromIPC(readFileSync(join(interop, 'arrowjs-weights.arrow'))));

// Many column types, nulls included, in two batches.
const d = 5;
function mixedBatch(start, rows) {
  const id = (i) => start + i;
  const features = new Float32Array(rows * d).map((_, i) => Math.fround((i % 7) * 0.25 - 0.5 + start));
  const featuresType = new FixedSizeList(d, new Field('item', new Float32(), false));
  const featuresData = makeData({ type: featuresType, length: rows, nullCount: 0,
    child: makeData({ type: new Float32(), length: rows * d, data: features }) });
  const columns = {
    row_id: vectorFromArray(Array.from({ length: rows }, (_, i) => id(i)), new Int32()),
    big: vectorFromArray(Array.from({ length: rows }, (_, i) => BigInt(id(i)) * -123456789012345n), new Int64()),
    score: vectorFromArray(Array.from({ length: rows }, (_, i) => id(i) % 4 === 1 ? null : id(i) / 3), new Float64()),
    name: vectorFromArray(Array.from({ length: rows }, (_, i) => id(i) % 5 === 2 ? null : `row-${id(i)}-é`), new Utf8()),
    flag: vectorFromArray(Array.from({ length: rows }, (_, i) => id(i) % 3 === 0), new Bool()),
    tags: vectorFromArray(Array.from({ length: rows }, (_, i) => Array.from({ length: id(i) % 4 }, (_, k) => k * 300 - id(i))),
      new List(new Field('item', new Int16(), true))),
    day: vectorFromArray(Array.from({ length: rows }, (_, i) => new Date(Date.UTC(2026, 0, 1 + id(i)))), new DateDay()),
    at: vectorFromArray(Array.from({ length: rows }, (_, i) => Date.UTC(2026, 11, 1, 0, 0, id(i))), new TimestampMillisecond()),
  };
  const fields = Object.entries(columns).map(([n, v]) => new Field(n, v.type, true));
  fields.push(new Field('features', featuresType, true, new Map([['ARROW:extension:name', 'arrow.fixed_shape_tensor'],
    ['ARROW:extension:metadata', JSON.stringify({ shape: [d] })]])));
  const children = [...Object.values(columns).map(v => v.data[0]), featuresData];
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: rows, children }));
}
const mixed = new Table([mixedBatch(0, 7), mixedBatch(7, 30)]);
writeBoth('mixed-le', mixed);
writeBoth('mixed-be', mixed);

{
  const rows = 6;
  const city = vectorFromArray(Array.from({ length: rows }, (_, i) => ['Oslo', 'Lyon', 'Porto'][i % 3]),
    new Dictionary(new Utf8(), new Int32()));
  const base = mixedBatch(0, rows);
  const fields = [new Field('city', city.type, true), base.schema.fields.find(f => f.name === 'features')];
  const batch = new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: rows,
    children: [city.data[0], base.getChild('features').data[0]] }));
  writeFileSync(join(outDir, 'dictionary-be.arrow'), encodeIpc(new Table([batch]), 'file', true));
  console.log(`dictionary-be: ${rows} rows, a dictionary-encoded column`);
}
