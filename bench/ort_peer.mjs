// SPDX-License-Identifier: MIT
//
// ONNX Runtime's CPU attention on one shape, timed by ORT's own profiler: the peer that
// bench/ort_compare.py runs beside libmha (that script is the usual way in).
//
//   node bench/ort_peer.mjs --probe                      # is onnxruntime-node there? (JSON line)
//   node bench/ort_peer.mjs --batch 1 --seq 2048 --d-model 512 --heads 8 [--causal]
//        [--ops mha,attention] [--threads 2] [--min-runs 3] [--max-runs 10] [--budget 2]
//        [--inputs DIR]    # read q.f32, k.f32, v.f32 from DIR, write out-<op>.f32 there
//
// The package is onnxruntime-node from npm (`npm install --ignore-scripts onnxruntime-node`: the
// CPU library ships inside it). Where it is: --ort-dir or ORT_NODE_DIR (a node_modules directory
// or the package directory itself), else node_modules in the current directory, beside this
// repository, in NODE_PATH or in $HOME. Without it the script prints one JSON line
// {"skip": reason} and exits 0.
//
// For each op (self-attention on given Q, K, V of shape (batch, seq, d_model), f32, no
// projection) the script builds a one-node ONNX model in memory, opens it on the CPU execution
// provider with intraOpNumThreads = --threads, interOpNumThreads = 1 and every graph
// optimisation, runs it once untimed, then times runs until --budget seconds or --max-runs.
// ORT's profiler gives each run's kernel time (the node's "Node" event); the wall time of
// session.run is printed too, for reference. One JSON line per op on stdout:
//   mha        com.microsoft MultiHeadAttention (num_heads; causal: unidirectional = 1)
//   attention  ai.onnx Attention, opset 23 (3-D inputs, q_num_heads = kv_num_heads; is_causal)

import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// ---- Options --------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = {
    probe: false, batch: 1, seq: 128, dModel: 512, heads: 8, causal: false,
    ops: ['mha', 'attention'], threads: 2, minRuns: 3, maxRuns: 10, budget: 2.0,
    inputs: null, ortDir: process.env.ORT_NODE_DIR || null,
  };
  const numeric = { '--batch': 'batch', '--seq': 'seq', '--d-model': 'dModel', '--heads': 'heads',
    '--threads': 'threads', '--min-runs': 'minRuns', '--max-runs': 'maxRuns',
    '--budget': 'budget' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--probe') o.probe = true;
    else if (a === '--causal') o.causal = true;
    else if (a === '--ops') o.ops = argv[++i].split(',');
    else if (a === '--inputs') o.inputs = argv[++i];
    else if (a === '--ort-dir') o.ortDir = argv[++i];
    else if (a in numeric) o[numeric[a]] = Number(argv[++i]);
    else throw new Error(`unknown option ${a}`);
  }
  if (o.dModel % o.heads) {
    throw new Error(`--heads ${o.heads} does not divide --d-model ${o.dModel}`);
  }
  for (const op of o.ops) if (!(op in OPS)) throw new Error(`unknown op ${op} (mha, attention)`);
  return o;
}

// ---- Finding onnxruntime-node ---------------------------------------------------------------

// The package directory inside `dir`, or `dir` itself when it is the package; else null.
function packageIn(dir) {
  const inside = join(dir, 'onnxruntime-node');
  if (existsSync(join(inside, 'package.json'))) return inside;
  try {
    if (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'onnxruntime-node') {
      return dir;
    }
  } catch { /* not a package directory */ }
  return null;
}

// An explicit location is taken or refused, never searched past: a user who names one means it.
function findPackage(ortDir) {
  if (ortDir) {
    const found = packageIn(resolve(ortDir));
    if (!found) return { reason: `no onnxruntime-node in ${ortDir} (--ort-dir / ORT_NODE_DIR)` };
    return { dir: found };
  }
  const home = process.env.HOME || '';
  const candidates = [join(process.cwd(), 'node_modules'), join(REPO, 'node_modules'),
    join(REPO, 'bench', 'node_modules'),
    ...(process.env.NODE_PATH || '').split(':').filter(Boolean),
    join(home, 'node_modules'), join(home, '.node_modules')];
  for (const c of candidates) {
    const found = packageIn(c);
    if (found) return { dir: found };
  }
  return { reason: 'onnxruntime-node not found (install it with `npm install --ignore-scripts '
    + 'onnxruntime-node` and pass --ort-dir DIR/node_modules or set ORT_NODE_DIR)' };
}

function loadOrt(ortDir) {
  const found = findPackage(ortDir);
  if (!found.dir) return found;
  try {
    const ort = createRequire(import.meta.url)(found.dir);
    const version = JSON.parse(readFileSync(join(found.dir, 'package.json'), 'utf8')).version;
    return { ort, dir: found.dir, version };
  } catch (e) {
    // E.g. no native binary for this platform in the package.
    const why = e.message.split('\n')[0];
    return { reason: `onnxruntime-node in ${found.dir} does not load: ${why}` };
  }
}

// ---- A minimal protobuf writer for the ONNX messages used here ------------------------------
// Field numbers from onnx/onnx.proto. Every message is a list of encoded fields; a nested
// message is a length-delimited field.

function varint(n) {
  const out = [];
  for (let v = BigInt(n); ; v >>= 7n) {
    const byte = Number(v & 0x7fn);
    if (v < 0x80n) { out.push(byte); return out; }
    out.push(byte | 0x80);
  }
}

const fieldInt = (no, n) => Buffer.from([...varint(no << 3), ...varint(n)]);
function fieldBytes(no, bytes) {
  const b = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'utf8');
  return Buffer.concat([Buffer.from([...varint((no << 3) | 2), ...varint(b.length)]), b]);
}
const message = (...fields) => Buffer.concat(fields.flat());

const FLOAT = 1;          // TensorProto.DataType.FLOAT
const ATTR_INT = 2;       // AttributeProto.AttributeType.INT

const attrInt = (name, value) =>  // AttributeProto: name 1, i 3, type 20
  message(fieldBytes(1, name), fieldInt(3, value), fieldInt(20, ATTR_INT));

function valueInfo(name, dims) {
  // TensorShapeProto.Dimension: dim_value 1; TensorShapeProto: dim 1
  const shape = message(dims.map((d) => fieldBytes(1, message(fieldInt(1, d)))));
  // TypeProto.Tensor: elem_type 1, shape 2; TypeProto: tensor_type 1
  const type = message(fieldBytes(1, message(fieldInt(1, FLOAT), fieldBytes(2, shape))));
  return message(fieldBytes(1, name), fieldBytes(2, type));  // ValueInfoProto: name 1, type 2
}

function node({ opType, domain, inputs, outputs, attrs }) {
  // NodeProto: input 1, output 2, name 3, op_type 4, attribute 5, domain 7
  return message(inputs.map((n) => fieldBytes(1, n)), outputs.map((n) => fieldBytes(2, n)),
    fieldBytes(3, NODE_NAME), fieldBytes(4, opType),
    attrs.map(([k, v]) => fieldBytes(5, attrInt(k, v))), fieldBytes(7, domain));
}

// One node reading inputs (batch, seq, d_model) and writing the output of the same shape.
function model(spec, dims) {
  const graph = message(  // GraphProto: node 1, name 2, input 11, output 12
    fieldBytes(1, node(spec)), fieldBytes(2, 'attention'),
    spec.inputs.map((n) => fieldBytes(11, valueInfo(n, dims))),
    spec.outputs.map((n) => fieldBytes(12, valueInfo(n, dims))));
  const opset = (domain, version) =>  // OperatorSetIdProto: domain 1, version 2
    message(fieldBytes(1, domain), fieldInt(2, version));
  // ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8. IR 11 goes with opset 23.
  return message(fieldInt(1, 11), fieldBytes(2, 'libmha bench/ort_peer.mjs'), fieldBytes(7, graph),
    fieldBytes(8, opset('', 23)), fieldBytes(8, opset('com.microsoft', 1)));
}

// ---- The ops --------------------------------------------------------------------------------

const NODE_NAME = 'attn';  // the profiler names the kernel event `${NODE_NAME}_kernel_time`

const OPS = {
  mha: (o) => ({
    opType: 'MultiHeadAttention', domain: 'com.microsoft',
    inputs: ['query', 'key', 'value'], outputs: ['output'],
    attrs: [['num_heads', o.heads], ...(o.causal ? [['unidirectional', 1]] : [])],
    causalHow: o.causal ? 'unidirectional=1' : null,
  }),
  attention: (o) => ({
    opType: 'Attention', domain: '',
    inputs: ['Q', 'K', 'V'], outputs: ['Y'],
    attrs: [['q_num_heads', o.heads], ['kv_num_heads', o.heads],
      ...(o.causal ? [['is_causal', 1]] : [])],
    causalHow: o.causal ? 'is_causal=1' : null,
  }),
};

// ---- Inputs ---------------------------------------------------------------------------------

// Uniform in [-1, 1) from a fixed seed (xorshift32): the values do not change ORT's speed, and a
// seeded generator keeps runs reproducible without reading hundreds of MiB from Python.
function randomInputs(count, seed) {
  const a = new Float32Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    a[i] = s / 2147483648 - 1;
  }
  return a;
}

function readInputs(dir, count) {
  return ['q', 'k', 'v'].map((n) => {
    const b = readFileSync(join(dir, `${n}.f32`));
    if (b.length !== 4 * count) {
      throw new Error(`${n}.f32 has ${b.length} bytes, want ${4 * count}`);
    }
    return new Float32Array(b.buffer, b.byteOffset, count);
  });
}

// ---- Timing ---------------------------------------------------------------------------------

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// The attention node's kernel events in run order, from the profile ORT wrote into `dir`.
function kernelEvents(dir) {
  const file = readdirSync(dir).find((f) => f.endsWith('.json'));
  if (!file) throw new Error('ORT wrote no profile');
  const events = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  return events.filter((e) => e.cat === 'Node' && e.name === `${NODE_NAME}_kernel_time`);
}

// Threads that worked in the kernel's last run: the caller plus the pool's workers that ran.
function poolThreads(args) {
  const stats = args.thread_scheduling_stats;
  if (!stats) return null;
  return 1 + Object.values(stats.sub_threads ?? {}).filter((t) => t.num_run > 0).length;
}

async function timeOp(ort, o, name, data) {
  const spec = OPS[name](o);
  const dims = [o.batch, o.seq, o.dModel];
  const profileDir = mkdtempSync(join(tmpdir(), 'ort_peer-'));
  try {
    const session = await ort.InferenceSession.create(model(spec, dims), {
      executionProviders: ['cpu'], intraOpNumThreads: o.threads, interOpNumThreads: 1,
      executionMode: 'sequential', graphOptimizationLevel: 'all',
      enableProfiling: true, profileFilePrefix: join(profileDir, 'ort'),
    });
    const feeds = Object.fromEntries(
      spec.inputs.map((n, i) => [n, new ort.Tensor('float32', data[i], dims)]));
    const run = async () => {
      const t0 = performance.now();
      const out = await session.run(feeds);
      return [performance.now() - t0, out[spec.outputs[0]]];
    };
    // One untimed run: the arena's first allocations and the thread pool's start.
    const [firstMs, output] = await run();
    const wall = [];
    const started = performance.now();
    while (wall.length < o.minRuns
           || (wall.length < o.maxRuns && performance.now() - started + firstMs < o.budget * 1e3)) {
      wall.push((await run())[0]);
    }
    session.endProfiling();
    const events = kernelEvents(profileDir);
    // One event per run, or the op did not run as the single kernel this script times (ORT
    // could have expanded it into a subgraph of other nodes).
    if (events.length !== wall.length + 1) {
      throw new Error(`${events.length} kernel events for ${wall.length + 1} runs`);
    }
    const kernel = events.slice(-wall.length).map((e) => e.dur / 1e3);  // µs -> ms
    const last = events.at(-1)?.args ?? {};
    if (o.inputs) writeFileSync(join(o.inputs, `out-${name}.f32`), Buffer.from(output.data.buffer,
      output.data.byteOffset, output.data.byteLength));
    await session.release();
    return {
      op: name, op_type: spec.opType, domain: spec.domain || 'ai.onnx', causal_how: spec.causalHow,
      kernel_ms: median(kernel), kernel_ms_min: Math.min(...kernel), wall_ms: median(wall),
      runs: wall.length, provider: last.provider ?? null,
      // The most the kernel's allocator held at once (its inputs' copies, output and scratch):
      // an unfused kernel keeps the whole batch·heads·seq² score matrix, a flash kernel blocks
      // of it, so this tells which one ran.
      kernel_mem_peak_mib: Number(last.mem_in_use_peak ?? NaN) / 2 ** 20,
      pool_threads: poolThreads(last),
    };
  } catch (e) {
    return { op: name, op_type: spec.opType, error: e.message.split('\n')[0] };
  } finally {
    rmSync(profileDir, { recursive: true, force: true });
  }
}

// ---- Main -----------------------------------------------------------------------------------

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const loaded = loadOrt(o.ortDir);
  if (!loaded.ort) {
    console.log(JSON.stringify({ skip: loaded.reason }));
    return;
  }
  if (o.probe) {
    console.log(JSON.stringify({ ort_version: loaded.version, dir: loaded.dir,
      node: process.version }));
    return;
  }
  const count = o.batch * o.seq * o.dModel;
  const data = o.inputs ? readInputs(o.inputs, count)
    : [1, 2, 3].map((seed) => randomInputs(count, seed));
  const shape = { batch: o.batch, seq: o.seq, d_model: o.dModel, heads: o.heads, causal: o.causal };
  for (const name of o.ops) {
    const r = await timeOp(loaded.ort, o, name, data);
    const line = { ...shape, ort_version: loaded.version, threads: o.threads, ...r };
    console.log(JSON.stringify(line));
  }
}

main().catch((e) => {
  console.error(`ort_peer: ${e.message}`);
  process.exit(2);
});
