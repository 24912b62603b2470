// Writes the interop fixtures in data/interop/ with Arrow JS (the `apache-arrow` npm package),
// so numarrow's tests read files made by another Arrow implementation.
//   cd /tmp && npm install apache-arrow && node /path/to/numarrow/tools/interop/make-arrowjs-fixture.mjs /path/to/numarrow/data/interop
// Output: arrowjs-features.arrow (4 batches, null rows, fixed_shape_tensor tag, an extra column),
//         arrowjs-features-untagged.arrow (plain FixedSizeList<float32>, no extension metadata),
//         arrowjs-weights.arrow (W[d×h] as d rows of FixedSizeList<float32>[h]),
//         arrowjs-expected.json (softmax(X·W) per row computed here in float64; null for null rows).
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
const require = createRequire(join(process.cwd(), 'noop.js'));
const arrow = require('apache-arrow');
const { Field, FixedSizeList, Float32, Int32, Schema, Table, RecordBatch, makeData, Struct, tableToIPC, Utf8, vectorFromArray } = arrow;

const outDir = process.argv[2] ?? '.';
const d = 12, h = 7;
let seed = 12345;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 * 2 - 1; };

function featuresBatch(rows, start, tagged) {
  const values = new Float32Array(rows * d);
  for (let i = 0; i < values.length; i++) values[i] = rand();
  const nullBitmap = new Uint8Array(Math.ceil(rows / 8));
  let nullCount = 0;
  for (let r = 0; r < rows; r++) {
    const isNull = (start + r) % 5 === 3;
    if (isNull) { nullCount++; } else { nullBitmap[r >> 3] |= 1 << (r & 7); }
  }
  const meta = tagged ? new Map([['ARROW:extension:name', 'arrow.fixed_shape_tensor'],
                                 ['ARROW:extension:metadata', JSON.stringify({ shape: [d] })]]) : new Map();
  const child = new Field('item', new Float32(), false);
  const type = new FixedSizeList(d, child);
  const childData = makeData({ type: new Float32(), length: rows * d, data: values });
  const listData = makeData({ type, length: rows, nullCount, nullBitmap, child: childData });
  const ids = new Int32Array(rows).map((_, i) => start + i);
  const idData = makeData({ type: new Int32(), length: rows, data: ids });
  const fields = [new Field('row_id', new Int32(), false), new Field('features', type, true, meta)];
  const schema = new Schema(fields);
  const structData = makeData({ type: new Struct(fields), length: rows, children: [idData, listData] });
  return new RecordBatch(schema, structData);
}

const rowsX = [];
function writeFeatures(name, tagged) {
  seed = 12345;
  rowsX.length = 0;
  const sizes = [10, 1, 17, 33];
  const batches = [];
  let start = 0;
  for (const n of sizes) {
    const b = featuresBatch(n, start, tagged);
    const col = b.getChildAt(1);
    for (let r = 0; r < n; r++) {
      const v = col.get(r);
      rowsX.push(v === null ? null : Array.from(v.toArray()));
    }
    batches.push(b);
    start += n;
  }
  const table = new Table(batches);
  writeFileSync(join(outDir, name), tableToIPC(table, 'file'));
  console.log(`${name}: ${table.numRows} rows in ${batches.length} batches`);
}

writeFeatures('arrowjs-features.arrow', true);
writeFeatures('arrowjs-features-untagged.arrow', false);

{
  const values = new Float32Array(d * h);
  for (let i = 0; i < values.length; i++) values[i] = rand() * 0.8;
  const type = new FixedSizeList(h, new Field('item', new Float32(), false));
  const listData = makeData({ type, length: d, nullCount: 0,
    child: makeData({ type: new Float32(), length: d * h, data: values }) });
  const fields = [new Field('weights', type, false)];
  const batch = new RecordBatch(new Schema(fields),
    makeData({ type: new Struct(fields), length: d, children: [listData] }));
  writeFileSync(join(outDir, 'arrowjs-weights.arrow'), tableToIPC(new Table([batch]), 'file'));
  console.log(`arrowjs-weights.arrow: ${d}×${h}`);
  // float64 reference: the float32 values as stored, widened
  const expected = rowsX.map(x => {
    if (x === null) return null;
    const y = new Array(h).fill(0);
    for (let p = 0; p < d; p++) for (let j = 0; j < h; j++) y[j] += x[p] * values[p * h + j];
    const m = Math.max(...y);
    const e = y.map(v => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map(v => v / s);
  });
  writeFileSync(join(outDir, 'arrowjs-expected.json'), JSON.stringify({ d, h, rows: expected }));
  console.log('arrowjs-expected.json: float64 softmax(X·W)');
}
