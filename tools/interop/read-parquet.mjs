// Reads a Parquet file with arrow-rs (the `parquet-wasm` npm package) and prints, as JSON, its Arrow
// schema as arrow-rs gives it and the values of the columns named on the command line, so a test can
// check that numarrow's Parquet output reads back in another implementation.
//   node tools/interop/read-parquet.mjs FILE.parquet COLUMN... > out.json   (node_modules with parquet-wasm, apache-arrow in the working folder)
// Output: {"fields": [{"name", "type", "metadata"}], "batches": [rows...], "columns": {"COLUMN": [row values, null for null]}}
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableJson } from './table-json.mjs';
const require = createRequire(join(process.cwd(), 'noop.js'));
const arrow = require('apache-arrow');
const pq = require('parquet-wasm');

const [file, ...columns] = process.argv.slice(2);
const table = arrow.tableFromIPC(pq.readParquet(new Uint8Array(readFileSync(file))).intoIPCStream());
process.stdout.write(tableJson(table, columns));
