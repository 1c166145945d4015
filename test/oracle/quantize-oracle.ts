/**
 * The real TFLite runtime as a BatchRunner for the quantizer's evaluation and
 * the accuracy gate (shared by the quantize oracle suites).
 */
import type { BatchRunner } from '../../src/optimize/quantize/evaluate';
import { TfliteOracle } from './tflite-runtime';

export function oracleRunner(oracle: TfliteOracle): BatchRunner {
  return async (model, inputs) => {
    const out: ArrayLike<number>[] = [];
    for (const x of inputs) out.push((await oracle.run(model, [x])).outputs[0].data);
    return out;
  };
}

/** Largest |a - b| over two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
