/**
 * The float32 WebAssembly SIMD kernels (wasm/f32-kernels.ts) against
 * TFLite's reference float kernels transcribed in float32 (every product and
 * sum rounded with Math.fround, taps in (ky, kx, input channel) order, the
 * bias added last, then the clamp: reference/conv.h, depthwiseconv_float.h,
 * fully_connected.h): equal to the bit, for every channel count of the
 * lane-by-lane tail, row counts around the four-row blocks, padding,
 * strides and the one-channel depthwise that runs as a gemm.
 */
import { strict as assert } from 'node:assert';
import { GraphBuilder } from '../../../src/tflite/convert/graph-builder';
import { BuiltinOperator, type BuiltinOptions } from '../../../src/tflite/model';
import { writeModel } from '../../../src/tflite/writer';
import { Interpreter } from '../../../src/runtime/interpreter';
import { mulberry32 } from '../../../src/model/random';
import { simdAvailable } from '../../../src/runtime/wasm/simd-runtime';

const f = Math.fround;

function seeded(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => rand() * 2 - 1);
}

function run(
  op: number,
  inShape: number[],
  wShape: number[],
  outShape: number[],
  options: BuiltinOptions,
  seed: number,
): { x: Float32Array; w: Float32Array; b: Float32Array; y: Float32Array; simd: boolean } {
  const g = new GraphBuilder();
  const c = outShape[outShape.length - 1];
  const w = seeded(
    wShape.reduce((a, b) => a * b, 1),
    seed,
  );
  const b = seeded(c, seed + 1);
  const x = g.addTensor('x', inShape);
  const y = g.addTensor('y', outShape);
  const wt = g.addTensor('w', wShape, 'float32', w);
  g.addOperator(op, [x, wt, g.addTensor('b', [c], 'float32', b)], [y], options);
  const interp = new Interpreter(writeModel(g.finish([x], [y], 'simd float case')));
  const input = seeded(interp.inputs[0].data.length, seed + 2);
  interp.setInput(0, input);
  interp.invoke();
  return {
    x: input,
    w,
    b,
    y: interp.outputs[0].data as Float32Array,
    simd: interp.persistentBytes > 0,
  };
}

/** TFLite's reference float convolution (depthwise when `depthwise`), in float32. */
function referenceConv(
  x: Float32Array,
  [, inH, inW, inC]: number[],
  w: Float32Array,
  [, fh, fw]: number[],
  b: Float32Array,
  [, outH, outW, outC]: number[],
  stride: number,
  pad: number,
  depthwise: boolean,
  relu6: boolean,
): Float32Array {
  const y = new Float32Array(outH * outW * outC);
  const mult = depthwise ? outC / inC : 1;
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      for (let oc = 0; oc < outC; oc++) {
        let total = 0;
        for (let ky = 0; ky < fh; ky++) {
          for (let kx = 0; kx < fw; kx++) {
            const iy = oy * stride - pad + ky;
            const ix = ox * stride - pad + kx;
            if (iy < 0 || iy >= inH || ix < 0 || ix >= inW) continue;
            if (depthwise) {
              const ic = Math.floor(oc / mult);
              total = f(total + f(x[(iy * inW + ix) * inC + ic] * w[(ky * fw + kx) * outC + oc]));
            } else {
              for (let ic = 0; ic < inC; ic++) {
                const wv = w[((oc * fh + ky) * fw + kx) * inC + ic];
                total = f(total + f(x[(iy * inW + ix) * inC + ic] * wv));
              }
            }
          }
        }
        const v = f(total + b[oc]);
        y[(oy * outW + ox) * outC + oc] = relu6 ? Math.min(Math.max(v, 0), 6) : v;
      }
    }
  }
  return y;
}

describe('float32 SIMD kernels: bit-exact with the float32 reference', () => {
  it('runs where the engine has WebAssembly SIMD (Node.js 16.4+)', () =>
    assert.ok(simdAvailable()));

  it('FULLY_CONNECTED, 1-9 output channels and 1-6 batches', () => {
    for (let c = 1; c <= 9; c++) {
      for (let rows = 1; rows <= 6; rows++) {
        const depth = 3 + c + rows;
        const r = run(
          BuiltinOperator.FULLY_CONNECTED,
          [rows, depth],
          [c, depth],
          [rows, c],
          { type: 'FullyConnectedOptions' },
          c * 10 + rows,
        );
        assert.ok(r.simd);
        for (let row = 0; row < rows; row++) {
          for (let o = 0; o < c; o++) {
            let total = 0;
            for (let k = 0; k < depth; k++)
              total = f(total + f(r.x[row * depth + k] * r.w[o * depth + k]));
            assert.equal(
              r.y[row * c + o],
              f(total + r.b[o]),
              `${c} channels, ${rows} rows: [${row}, ${o}]`,
            );
          }
        }
      }
    }
  });

  for (const cfg of [
    {
      name: 'CONV_2D 3x3 stride 2 SAME, 5 channels (im2col, lane tail)',
      dw: false,
      inC: 3,
      outC: 5,
      k: 3,
      stride: 2,
    },
    { name: 'CONV_2D 1x1, 12 channels (pointwise)', dw: false, inC: 6, outC: 12, k: 1, stride: 1 },
    { name: 'DEPTHWISE_CONV_2D 3x3 SAME, 8 channels', dw: true, inC: 8, outC: 8, k: 3, stride: 1 },
    {
      name: 'DEPTHWISE_CONV_2D 3x3 stride 2 SAME, one input channel x 6 (gemm)',
      dw: true,
      inC: 1,
      outC: 6,
      k: 3,
      stride: 2,
    },
  ]) {
    it(cfg.name, () => {
      const inShape = [1, 7, 9, cfg.inC];
      const outShape = [1, Math.ceil(7 / cfg.stride), Math.ceil(9 / cfg.stride), cfg.outC];
      const wShape = cfg.dw ? [1, cfg.k, cfg.k, cfg.outC] : [cfg.outC, cfg.k, cfg.k, cfg.inC];
      const options: BuiltinOptions = {
        type: cfg.dw ? 'DepthwiseConv2DOptions' : 'Conv2DOptions',
        padding: 'SAME',
        strideW: cfg.stride,
        strideH: cfg.stride,
        fusedActivationFunction: 'RELU6',
        ...(cfg.dw ? { depthMultiplier: cfg.outC / cfg.inC } : {}),
      };
      const op = cfg.dw ? BuiltinOperator.DEPTHWISE_CONV_2D : BuiltinOperator.CONV_2D;
      const r = run(op, inShape, wShape, outShape, options, 7);
      assert.ok(r.simd);
      // SAME padding: total padding (out - 1) * stride + k - in, the smaller half before
      const pad = (n: number, o: number) => Math.max(0, ((o - 1) * cfg.stride + cfg.k - n) >> 1);
      assert.equal(pad(7, outShape[1]), pad(9, outShape[2]));
      const want = referenceConv(
        r.x,
        inShape,
        r.w,
        wShape,
        r.b,
        outShape,
        cfg.stride,
        pad(7, outShape[1]),
        cfg.dw,
        true,
      );
      want.forEach((v, i) => assert.equal(r.y[i], v, `output ${i}`));
    });
  }
});
