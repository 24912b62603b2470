// The JSON the interop readers print for a test: an Arrow JS table's fields, the rows of each record
// batch, and the values of the columns asked for (null for a null row; lists as arrays of numbers).
export function tableJson(table, columns) {
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
  return JSON.stringify({ fields, batches: table.batches.map(b => b.numRows), columns: values });
}
