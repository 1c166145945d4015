/**
 * What kernels refuse at load time, and the parts they share: every refusal
 * is a KernelError naming the op, the operator index, the expected and the
 * actual; broadcasting and implicit padding follow TFLite's rules; real
 * values quantize like TFLite's QUANTIZE (round half away from zero).
 */
import { strict as assert } from 'node:assert';
import { GraphBuilder } from '../../../src/tflite/convert/graph-builder';
import { BuiltinOperator, type BuiltinOptions, type Quantization } from '../../../src/tflite/model';
import { writeModel } from '../../../src/tflite/writer';
import { Interpreter } from '../../../src/runtime/interpreter';
import { KernelError, type NodeContext } from '../../../src/runtime/kernel';
import { BroadcastPlan } from '../../../src/runtime/kernels/broadcast';
import { computePaddingHeightWidth, tapEnd, tapStart } from '../../../src/runtime/kernels/padding';
import { dequantizeTensor, quantizeInto } from '../../../src/runtime/quantize-io';
import type { RuntimeTensor } from '../../../src/runtime/tensor';

const q = (scale: number, zeroPoint: number): Quantization => ({
  scale: [scale],
  zeroPoint: [zeroPoint],
  quantizedDimension: 0,
});

function oneOp(
  op: number,
  inputs: {
    shape: number[];
    type?: 'float32' | 'int8' | 'int32';
    q?: Quantization;
    data?: Int8Array | Int32Array | Float32Array;
  }[],
  output: { shape: number[]; type?: 'float32' | 'int8'; q?: Quantization },
  options?: BuiltinOptions,
): Uint8Array {
  const g = new GraphBuilder();
  const ids = inputs.map((t, i) =>
    g.addTensor(`in${i}`, t.shape, t.type ?? 'float32', t.data, t.q),
  );
  const out = g.addTensor('out', output.shape, output.type ?? 'float32', undefined, output.q);
  g.addOperator(op, ids, [out], options);
  return writeModel(
    g.finish(
      ids.filter((_, i) => !inputs[i].data),
      [out],
      'one op',
    ),
  );
}

function tensor(shape: number[]): RuntimeTensor {
  return {
    index: 0,
    name: 't',
    shape,
    type: 'float32',
    data: new Float32Array(0),
    isConstant: false,
  };
}

const node = { index: 3, opName: 'ADD' } as NodeContext;

describe('kernel checks and shared parts', () => {
  it('refuses a convolution whose output shape does not follow from its options', () => {
    const bytes = oneOp(
      BuiltinOperator.CONV_2D,
      [
        { shape: [1, 8, 8, 2] },
        { shape: [4, 3, 3, 2], data: new Float32Array(72) },
        { shape: [4], data: new Float32Array(4) },
      ],
      { shape: [1, 8, 8, 4] },
      { type: 'Conv2DOptions', padding: 'VALID', strideW: 1, strideH: 1 },
    );
    assert.throws(
      () => new Interpreter(bytes),
      (e: Error) =>
        e instanceof KernelError &&
        /^CONV_2D \(operator 0\): output \[1,8,8,4\] does not match .* expected \[1,6,6,4\]$/.test(
          e.message,
        ),
    );
  });

  it('refuses an int8 softmax whose output is not quantized as TFLM requires', () => {
    const bytes = oneOp(
      BuiltinOperator.SOFTMAX,
      [{ shape: [1, 4], type: 'int8', q: q(0.1, 0) }],
      { shape: [1, 4], type: 'int8', q: q(0.1, 0) },
      { type: 'SoftmaxOptions', beta: 1 },
    );
    assert.throws(
      () => new Interpreter(bytes),
      /SOFTMAX \(operator 0\): int8 output must have scale 1\/256 and zero point -128, got 0.1/,
    );
  });

  it('refuses an int8 log-softmax off 16/256, 127 and an L2 norm beyond rank 4', () => {
    const logSoftmax = oneOp(
      BuiltinOperator.LOG_SOFTMAX,
      [{ shape: [1, 4], type: 'int8', q: q(0.1, 0) }],
      { shape: [1, 4], type: 'int8', q: q(1 / 256, -128) },
    );
    assert.throws(
      () => new Interpreter(logSoftmax),
      /LOG_SOFTMAX \(operator 0\): int8 output must have scale 16\/256 and zero point 127, got 0.00390625 and -128/,
    );
    const l2 = oneOp(BuiltinOperator.L2_NORMALIZATION, [{ shape: [1, 1, 1, 2, 3] }], {
      shape: [1, 1, 1, 2, 3],
    });
    assert.throws(
      () => new Interpreter(l2),
      /L2_NORMALIZATION \(operator 0\): input rank 5 is outside 1..4/,
    );
  });

  it('refuses mixed types and missing quantization', () => {
    const mixed = oneOp(
      BuiltinOperator.ADD,
      [{ shape: [2] }, { shape: [2], type: 'int8', q: q(1, 0) }],
      { shape: [2] },
    );
    assert.throws(
      () => new Interpreter(mixed),
      /ADD \(operator 0\): input types float32, int8 and output type float32 must match/,
    );
    const unquantized = oneOp(BuiltinOperator.RELU, [{ shape: [2], type: 'int8' }], {
      shape: [2],
      type: 'int8',
    });
    assert.throws(
      () => new Interpreter(unquantized),
      /RELU \(operator 0\): int8 tensor "in0" has no quantization parameters/,
    );
  });

  it('broadcasts like NumPy and refuses incompatible shapes', () => {
    const plan = new BroadcastPlan(node, tensor([2, 1, 3]), tensor([4, 1]), tensor([2, 4, 3]));
    assert.equal(plan.size, 24);
    assert.equal(plan.same, false);
    const seen: [number, number, number][] = [];
    plan.start();
    for (let r = 0; r < plan.rows; r++) {
      for (let i = 0; i < plan.rowLength; i++) {
        seen.push([
          plan.base1 + i * plan.rowStride1,
          plan.base2 + i * plan.rowStride2,
          plan.baseOut + i,
        ]);
      }
      plan.next();
    }
    // out[a, b, c] = x[a, 0, c] + y[b, 0]
    seen.forEach(([i1, i2, o]) => {
      const a = Math.floor(o / 12);
      const b = Math.floor(o / 3) % 4;
      const c = o % 3;
      assert.deepEqual([i1, i2], [a * 3 + c, b]);
    });
    assert.throws(
      () => new BroadcastPlan(node, tensor([2, 3]), tensor([4, 3]), tensor([2, 3])),
      /ADD \(operator 3\): cannot broadcast \[2,3\] and \[4,3\] to the output \[2,3\]/,
    );
  });

  it('pads SAME with the smaller half first and counts VALID outputs (kernels/padding.h)', () => {
    // 9 wide, 3 taps, stride 2: SAME gives 5 outputs and pads (5-1)*2+3-9 = 2 -> 1 before.
    assert.deepEqual(computePaddingHeightWidth(2, 2, 1, 1, 9, 9, 3, 3, 'SAME'), {
      height: 1,
      width: 1,
      outHeight: 5,
      outWidth: 5,
    });
    assert.deepEqual(computePaddingHeightWidth(2, 2, 1, 1, 9, 9, 3, 3, 'VALID'), {
      height: 0,
      width: 0,
      outHeight: 4,
      outWidth: 4,
    });
    // dilation 2 makes a 3-tap filter span 5
    assert.deepEqual(computePaddingHeightWidth(1, 1, 2, 2, 6, 6, 3, 3, 'SAME'), {
      height: 2,
      width: 2,
      outHeight: 6,
      outWidth: 6,
    });
    // taps inside [0, 6) from origin -2 with dilation 2: k = 1, 2 (positions 0 and 2)
    assert.equal(tapStart(-2, 2, 3), 1);
    assert.equal(tapEnd(-2, 2, 3, 6), 3);
    assert.equal(tapEnd(5, 2, 3, 6), 1);
  });

  it('quantizes real values like QUANTIZE (half away from zero, clamped) and dequantizes back', () => {
    const t: RuntimeTensor = {
      index: 0,
      name: 'x',
      shape: [6],
      type: 'int8',
      data: new Int8Array(6),
      isConstant: false,
      quantization: q(0.5, -3),
    };
    quantizeInto(t, [0.25, -0.25, 0.75, 1000, -1000, 1]);
    // 0.25/0.5 = 0.5 -> 1; -0.5 -> -1; 1.5 -> 2; clamp; 2
    assert.deepEqual(Array.from(t.data as Int8Array), [-2, -4, -1, 127, -128, -1]);
    assert.deepEqual(Array.from(dequantizeTensor(t)), [0.5, -0.5, 1, 65, -62.5, 1]);
    const plain: RuntimeTensor = { ...t, quantization: undefined, data: new Int8Array(6) };
    assert.throws(() => quantizeInto(plain, [1]), /"x" \(int8\) is not quantized/);
  });
});
