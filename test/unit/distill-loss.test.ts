/**
 * The distillation loss against Hinton et al. 2015 worked out in plain
 * JavaScript here: its value, the gradient of the soft term
 * (∂/∂z_s = T² · (1/T)(q_s − q_t) per sample, sec. 2 of the paper), and
 * its limits (α = 0 is ordinary cross-entropy).
 */
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import {
  distillationLoss,
  regressionDistillationLoss,
  softKl,
} from '../../src/optimize/distill/loss';
import { checkLossOptions } from '../../src/optimize/distill/loss';

const student = [
  [1.0, -0.5, 2.0, 0.3],
  [-1.2, 0.4, 0.0, 3.1],
];
const teacher = [
  [2.5, -1.0, 4.0, 0.0],
  [0.3, 0.2, -2.0, 5.0],
];
const labels = [
  [0, 0, 1, 0],
  [0, 0, 0, 1],
];

function softmax(z: number[], T = 1): number[] {
  const m = Math.max(...z.map((v) => v / T));
  const e = z.map((v) => Math.exp(v / T - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function reference(T: number, alpha: number): number {
  let soft = 0;
  let hard = 0;
  for (let b = 0; b < student.length; b++) {
    const p = softmax(teacher[b], T);
    const q = softmax(student[b], T);
    soft += p.reduce((acc, pi, i) => acc + pi * (Math.log(pi) - Math.log(q[i])), 0);
    const q1 = softmax(student[b]);
    hard -= labels[b].reduce((acc, yi, i) => acc + yi * Math.log(q1[i]), 0);
  }
  soft /= student.length;
  hard /= student.length;
  return alpha * T * T * soft + (1 - alpha) * hard;
}

describe('distillation loss (Hinton et al. 2015)', () => {
  const s = tf.tensor2d(student);
  const t = tf.tensor2d(teacher);
  const y = tf.tensor2d(labels);

  for (const [T, alpha] of [
    [4, 0.7],
    [1, 0.5],
    [10, 1],
    [2, 0],
  ]) {
    it(`equals α·T²·KL + (1 − α)·CE for T = ${T}, α = ${alpha}`, () => {
      const got = distillationLoss(s, t, y, { temperature: T, alpha }).dataSync()[0];
      const want = reference(T, alpha);
      assert.ok(Math.abs(got - want) < 1e-5 * Math.max(1, want), `${got} vs ${want}`);
    });
  }

  it('soft term gradient is T·(q_s − q_t)/batch: the T² factor undoes the 1/T² shrinkage', () => {
    for (const T of [1, 4, 8]) {
      const grad = tf
        .grad((z: tf.Tensor) => distillationLoss(z, t, y, { temperature: T, alpha: 1 }))(s)
        .arraySync() as number[][];
      for (let b = 0; b < 2; b++) {
        const q = softmax(student[b], T);
        const p = softmax(teacher[b], T);
        for (let i = 0; i < 4; i++) {
          const want = (T * (q[i] - p[i])) / 2;
          assert.ok(
            Math.abs(grad[b][i] - want) < 1e-5,
            `T=${T} [${b},${i}] ${grad[b][i]} vs ${want}`,
          );
        }
      }
    }
  });

  it('KL is zero when the student matches the teacher, positive otherwise', () => {
    assert.ok(Math.abs(softKl(t, t, 4).dataSync()[0]) < 1e-7);
    assert.ok(softKl(s, t, 4).dataSync()[0] > 0.01);
  });

  it('regression form mixes MSE to the teacher and to the labels', () => {
    const out = tf.tensor2d([[1], [3]]);
    const tea = tf.tensor2d([[2], [3]]);
    const lab = tf.tensor2d([[0], [5]]);
    // α · ((1 + 0) / 2) + (1 − α) · ((1 + 4) / 2) with α = 0.25: 0.125 + 1.875
    const got = regressionDistillationLoss(out, tea, lab, 0.25).dataSync()[0];
    assert.ok(Math.abs(got - 2) < 1e-6, String(got));
  });

  it('refuses a non-positive temperature and an alpha outside [0, 1]', () => {
    assert.throws(
      () => checkLossOptions({ temperature: 0, alpha: 0.5 }),
      /temperature must be a positive number, got 0/,
    );
    assert.throws(
      () => checkLossOptions({ temperature: 4, alpha: 1.5 }),
      /alpha must be in \[0, 1\], got 1.5/,
    );
  });
});
