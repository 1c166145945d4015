/**
 * The optimize report: zero counting by tensor type (quantized zeros are the
 * zero point), measurement of real TensorFlow-made .tflite files, ratios, and
 * the CLI table.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import {
  compare,
  countZeros,
  formatReport,
  measureTflite,
  type ModelMeasure,
  type OptimizeReport,
} from '../../src/optimize/report';
import { readModel } from '../../src/tflite/reader';
import { inspectModel } from '../../src/tflite/inspect';
import type { TensorDef } from '../../src/tflite/model';
import { sharedModel } from '../helpers/paths';

function tensor(
  type: TensorDef['type'],
  shape: number[],
  q?: TensorDef['quantization'],
): TensorDef {
  return { name: 't', shape, type, buffer: 1, ...(q ? { quantization: q } : {}) };
}

describe('optimize report', () => {
  it('counts int8 zeros per channel at each channel’s zero point', () => {
    const t = tensor('int8', [2, 3], {
      scale: [0.1, 0.2],
      zeroPoint: [1, -2],
      quantizedDimension: 0,
    });
    const data = new Uint8Array(Int8Array.from([1, 0, 1, -2, -2, 5]).buffer);
    assert.equal(countZeros(t, data), 4);
    const perTensor = tensor('int8', [4], { scale: [0.5], zeroPoint: [3], quantizedDimension: 0 });
    assert.equal(countZeros(perTensor, new Uint8Array(Int8Array.from([3, 0, 3, -3]).buffer)), 2);
  });

  it('counts float32 and float16 zeros, both signs', () => {
    const f32 = new Uint8Array(Float32Array.from([0, -0, 1e-30, 2]).buffer);
    assert.equal(countZeros(tensor('float32', [4]), f32), 2);
    const f16 = new Uint8Array(Uint16Array.from([0x0000, 0x8000, 0x3c00, 0x0001]).buffer);
    assert.equal(countZeros(tensor('float16', [4]), f16), 2);
  });

  it('measures TensorFlow’s hello_world models: sizes, params, arena, and sin(x) error', () => {
    const bytes = new Uint8Array(readFileSync(sharedModel('hello_world_float.tflite')));
    const xs: number[][] = [];
    const ys: number[] = [];
    for (let i = 0; i < 32; i++) {
      const x = (i / 31) * 2 * Math.PI;
      xs.push([x]);
      ys.push(Math.sin(x));
    }
    const m = measureTflite('hello', bytes, { xs, ys }, 'regression');
    const info = inspectModel(readModel(bytes), bytes.length);
    assert.equal(m.tflite!.bytes, bytes.length);
    assert.equal(m.tflite!.gzipBytes, gzipSync(bytes).length);
    assert.equal(m.params, info.params);
    assert.equal(m.tflite!.arenaBytes, info.arenaBytes);
    assert.equal(m.tflite!.macs, 16 + 16 * 16 + 16);
    assert.ok(m.tfliteEvaluation!.mae! < 0.1, `MAE ${m.tfliteEvaluation!.mae}`);

    const q = measureTflite(
      'int8',
      new Uint8Array(readFileSync(sharedModel('hello_world_int8.tflite'))),
    );
    assert.equal(q.params, 321);
    assert.ok(q.tflite!.bytes < bytes.length);
    assert.ok(q.weightSparsity >= 0 && q.weightSparsity < 0.5);
  });

  it('compares a model against another and prints one column per model', () => {
    const a: ModelMeasure = {
      name: 'original',
      params: 100,
      nonzeroParams: 100,
      weightSparsity: 0,
      tflite: {
        bytes: 1000,
        gzipBytes: 900,
        arenaBytes: 64,
        macs: 90,
        params: 100,
        weightSparsity: 0,
        ops: [],
      },
      tfliteEvaluation: { task: 'classification', samples: 10, accuracy: 0.9 },
    };
    const b: ModelMeasure = {
      ...a,
      name: 'pruned',
      nonzeroParams: 20,
      weightSparsity: 0.8,
      tflite: { ...a.tflite!, gzipBytes: 300 },
      tfliteEvaluation: { task: 'classification', samples: 10, accuracy: 0.8 },
    };
    const c = compare(b, a);
    assert.equal(c.nonzeroParamsRatio, 0.2);
    assert.ok(Math.abs(c.gzipRatio! - 1 / 3) < 1e-12);
    assert.ok(Math.abs(c.accuracyDropPp! - 10) < 1e-9);
    const report: OptimizeReport = {
      technique: 'magnitude pruning (weights)',
      task: 'classification',
      data: { trainSamples: 40, heldOutSamples: 10, heldOut: 'separate held-out set' },
      settings: {},
      models: [a, b],
      comparisons: [c],
      notes: [],
      durationMs: 1,
    };
    const text = formatReport(report);
    assert.match(text, /weight sparsity\s+0\.00%\s+80\.00%/);
    assert.match(text, /\.tflite gzip bytes\s+900\s+300/);
    assert.match(text, /accuracy \(\.tflite\)\s+90\.00%\s+80\.00%/);
    assert.match(text, /pruned vs original: .*gzip ×0\.333.*accuracy drop 10\.00 pp/);
  });
});
