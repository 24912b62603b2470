// Reads a Parquet file with arrow-rs (the `parquet-wasm` npm package) and prints, as JSON, its Arrow
// schema as arrow-rs gives it and the values of the columns named on the command line, so a test can
// check that numarrow's Parquet output reads back in another implementation.
//   node tools/interop/read-parquet.mjs FILE.parquet COLUMN... > out.json   (node_modules with parquet-wasm, apache-arrow in the working folder)
// Output: {"fields": [{"name", "type", "metadata"}], "columns": {"COLUMN": [row values, null for null]}}
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
const require = createRequire(join(process.cwd(), 'noop.js'));
const arrow = require('apache-arrow');
const pq = require('parquet-wasm');

const [file, ...columns] = process.argv.slice(2);
const table = arrow.tableFromIPC(pq.readParquet(new Uint8Array(readFileSync(file))).intoIPCStream());
const fields = table.schema.fields.map(f => ({ name: f.name, type: String(f.type), metadata: Object.fromEntries(f.metadata) }));
const values = {};
for (const name of columns) {
  const col = table.getChild(name);
  const rows = [];
  for (let r = 0; r < table.numRows; r++) {
    const v = col.get(r);
    rows.push(v === null ? null : (typeof v === 'object' && v.toArray ? Array.from(v.toArray(), Number) : (typeof v === 'bigint' ? Number(v) : v)));
  }
  values[name] = rows;
}
process.stdout.write(JSON.stringify({ fields, columns: values }));
