// Checks rpc.discover's document with the OpenRPC project's own validator
// and a node's real answers with ajv (test_openrpc.py runs it, with
// NODE_PATH pointing at the installed packages).
//
//   node openrpc_check.js DOC.json SAMPLES.json
//
// DOC is the document; SAMPLES a list of {method, params, result}, real
// calls with positional params. Checks, each failure printed with the
// method's name:
//   - the document validates against the OpenRPC meta-schema;
//   - every parameter's and result's schema compiles, and every default
//     validates against its parameter's schema;
//   - every sample's params validate against the parameters' schemas and
//     its result against the result schema.
// Exits 0 when all pass, 1 otherwise.
"use strict";
const fs = require("fs");
const { validateOpenRPCDocument } = require("@open-rpc/schema-utils-js");
const Ajv = require("ajv");

const doc = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const samples = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const ajv = new Ajv({ allErrors: true, strictTypes: false, strictTuples: false });
const failures = [];

function fail(what, errors) {
  failures.push(`${what}: ${errors ? ajv.errorsText(errors) : "failed"}`);
}

const valid = validateOpenRPCDocument(doc);
if (valid !== true) failures.push(`document: ${valid.message}`);

const byName = new Map();
for (const m of doc.methods) {
  const entry = { params: [], result: null };
  for (const p of m.params) {
    try {
      const check = ajv.compile(p.schema);
      if ("default" in p.schema && !check(p.schema.default))
        fail(`${m.name}: default of ${p.name}`, check.errors);
      entry.params.push(check);
    } catch (e) {
      failures.push(`${m.name}: schema of ${p.name}: ${e.message}`);
      entry.params.push(null);
    }
  }
  try {
    entry.result = ajv.compile(m.result.schema);
  } catch (e) {
    failures.push(`${m.name}: result schema: ${e.message}`);
  }
  byName.set(m.name, entry);
}

const sampled = new Set();
for (const s of samples) {
  const entry = byName.get(s.method);
  if (!entry) {
    failures.push(`${s.method}: sampled but not in the document`);
    continue;
  }
  sampled.add(s.method);
  s.params.forEach((v, i) => {
    const check = entry.params[i];
    if (!check) failures.push(`${s.method}: param ${i} not described`);
    else if (v !== null && !check(v)) fail(`${s.method}: param ${i} ${JSON.stringify(v).slice(0, 80)}`, check.errors);
  });
  if (entry.result && !entry.result(s.result))
    fail(`${s.method}: result ${JSON.stringify(s.result).slice(0, 200)}`, entry.result.errors);
}

if (failures.length) {
  console.log(failures.join("\n"));
  console.log(`openrpc_check: ${failures.length} failures`);
  process.exit(1);
}
console.log(`openrpc_check: document valid (${doc.methods.length} methods); ` +
  `${samples.length} answers of ${sampled.size} methods match their result schemas`);
