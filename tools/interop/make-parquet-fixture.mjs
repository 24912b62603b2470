// Writes the Parquet interop fixtures in data/interop/parquet/ with arrow-rs (the `parquet-wasm` npm
// package) from Arrow JS tables, so numarrow's tests read Parquet made by another implementation.
//   cd /tmp && npm install parquet-wasm@0.8.0 apache-arrow@21.2.0 && node /path/to/numarrow/tools/interop/make-parquet-fixture.mjs /path/to/numarrow/data/interop/parquet
// Output (d=12 features, h=7 outputs, rows in row groups of 16, snappy):
//   fsl.parquet        features FixedSizeList<float32>[12] tagged arrow.fixed_shape_tensor (ARROW:schema
//                      metadata gives the fixed size), row_id int32, label utf8, every 5th row (from 3) null
//   list.parquet       the same rows, features a variable List<float32> whose rows all have 12 values
//   ragged.parquet     as list.parquet, but row 21 has 11 values
//   float64.parquet    features FixedSizeList<float64>[12] (the wrong type)
//   parts/part-{0,1}.parquet   fsl.parquet's rows split in two files (a glob or a folder)
//   mixed/part-{0,1}.parquet   two files whose schemas differ (part-1 has no label column)
//   weights.arrow      W[d×h] as an Arrow IPC file (d rows of FixedSizeList<float32>[h])
//   expected.json      float64 softmax(X·W) per row, computed here; null for null rows
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const require = createRequire(join(process.cwd(), 'noop.js'));
const arrow = require('apache-arrow');
const pq = require('parquet-wasm');
const { Field, FixedSizeList, Float32, Float64, Int32, List, Schema, Table, RecordBatch, makeData, Struct,
        tableToIPC, Utf8, vectorFromArray } = arrow;

const outDir = process.argv[2] ?? '.';
mkdirSync(join(outDir, 'parts'), { recursive: true });
mkdirSync(join(outDir, 'mixed'), { recursive: true });
const d = 12, h = 7, rows = 61;
let seed = 4242;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 * 2 - 1; };
const isNull = r => r % 5 === 3;

const X = [];
for (let r = 0; r < rows; r++) {
  const v = new Float32Array(d);
  for (let c = 0; c < d; c++) v[c] = rand();
  X.push(isNull(r) ? null : Array.from(v));
}

function validity(n, start) {
  const bitmap = new Uint8Array(Math.ceil(n / 8));
  let nullCount = 0;
  for (let r = 0; r < n; r++) {
    if (isNull(start + r)) nullCount++; else bitmap[r >> 3] |= 1 << (r & 7);
  }
  return { bitmap, nullCount };
}

// kind: 'fsl' | 'list' | 'ragged' | 'float64'
function featuresData(kind, start, n) {
  const { bitmap, nullCount } = validity(n, start);
  const lengths = [];
  for (let r = 0; r < n; r++) lengths.push(kind === 'ragged' && start + r === 21 ? d - 1 : d);
  const total = lengths.reduce((a, b) => a + b, 0);
  const values = kind === 'float64' ? new Float64Array(total) : new Float32Array(total);
  let k = 0;
  for (let r = 0; r < n; r++) {
    const x = X[start + r];
    for (let c = 0; c < lengths[r]; c++) values[k++] = x === null ? 0 : x[c];
  }
  const valueType = kind === 'float64' ? new Float64() : new Float32();
  const child = makeData({ type: valueType, length: total, data: values });
  const item = new Field('item', valueType, false);
  if (kind === 'fsl' || kind === 'float64') {
    const type = new FixedSizeList(d, item);
    return { type, data: makeData({ type, length: n, nullCount, nullBitmap: bitmap, child }) };
  }
  const offsets = new Int32Array(n + 1);
  for (let r = 0; r < n; r++) offsets[r + 1] = offsets[r] + lengths[r];
  const type = new List(item);
  return { type, data: makeData({ type, length: n, nullCount, nullBitmap: bitmap, valueOffsets: offsets, child }) };
}

function table(kind, start, n, withLabel = true) {
  const f = featuresData(kind, start, n);
  const meta = kind === 'fsl' ? new Map([['ARROW:extension:name', 'arrow.fixed_shape_tensor'],
                                         ['ARROW:extension:metadata', JSON.stringify({ shape: [d] })]]) : new Map();
  const ids = vectorFromArray(Array.from({ length: n }, (_, i) => start + i), new Int32());
  const labels = vectorFromArray(Array.from({ length: n }, (_, i) => `row-${start + i}`), new Utf8());
  const fields = [new Field('row_id', new Int32(), false), new Field('features', f.type, true, meta)];
  const children = [ids.data[0], f.data];
  if (withLabel) { fields.push(new Field('label', new Utf8(), false)); children.push(labels.data[0]); }
  const schema = new Schema(fields);
  return new Table([new RecordBatch(schema, makeData({ type: new Struct(fields), length: n, children }))]);
}

function writeParquet(name, t) {
  const props = new pq.WriterPropertiesBuilder().setCompression(pq.Compression.SNAPPY)
    .setMaxRowGroupSize(16).build();
  const bytes = pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(t, 'stream')), props);
  writeFileSync(join(outDir, name), bytes);
  console.log(`${name}: ${t.numRows} rows, ${bytes.length} bytes`);
}

writeParquet('fsl.parquet', table('fsl', 0, rows));
writeParquet('list.parquet', table('list', 0, rows));
writeParquet('ragged.parquet', table('ragged', 0, rows));
writeParquet('float64.parquet', table('float64', 0, rows));
writeParquet('parts/part-0.parquet', table('fsl', 0, 40));
writeParquet('parts/part-1.parquet', table('fsl', 40, rows - 40));
writeParquet('mixed/part-0.parquet', table('fsl', 0, 40));
writeParquet('mixed/part-1.parquet', table('fsl', 40, rows - 40, false));

const W = new Float32Array(d * h);
for (let i = 0; i < W.length; i++) W[i] = rand() * 0.8;
{
  const type = new FixedSizeList(h, new Field('item', new Float32(), false));
  const listData = makeData({ type, length: d, nullCount: 0,
    child: makeData({ type: new Float32(), length: d * h, data: W }) });
  const fields = [new Field('weights', type, false)];
  const batch = new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: d, children: [listData] }));
  writeFileSync(join(outDir, 'weights.arrow'), tableToIPC(new Table([batch]), 'file'));
  console.log(`weights.arrow: ${d}×${h}`);
}
// float64 reference over the float32 values as stored, widened
const expected = X.map(x => {
  if (x === null) return null;
  const y = new Array(h).fill(0);
  for (let p = 0; p < d; p++) for (let j = 0; j < h; j++) y[j] += x[p] * W[p * h + j];
  const m = Math.max(...y);
  const e = y.map(v => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map(v => v / s);
});
writeFileSync(join(outDir, 'expected.json'), JSON.stringify({ d, h, rows: expected }));
console.log('expected.json: float64 softmax(X·W)');
