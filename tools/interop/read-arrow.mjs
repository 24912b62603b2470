// Reads an Arrow IPC file with Arrow JS (the `apache-arrow` npm package) and prints, as JSON, its
// fields, the rows of each record batch and the values of the columns named on the command line, so
// a test can check that numarrow's Arrow output (computed in place in a mapped file) reads back in
// another implementation.
//   node tools/interop/read-arrow.mjs FILE.arrow COLUMN... > out.json   (node_modules with apache-arrow in the working folder)
// Output: {"fields": [{"name", "type", "metadata"}], "batches": [rows...], "columns": {"COLUMN": [row values, null for null]}}
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tableJson } from './table-json.mjs';
const require = createRequire(join(process.cwd(), 'noop.js'));
const arrow = require('apache-arrow');

const [file, ...columns] = process.argv.slice(2);
const table = arrow.tableFromIPC(readFileSync(file));
process.stdout.write(tableJson(table, columns));
