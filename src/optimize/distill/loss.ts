/**
 * The distillation objective of Hinton, Vinyals & Dean 2015, "Distilling the
 * Knowledge in a Neural Network" (arXiv:1503.02531), sec. 2:
 *
 *   L = α · T² · KL(softmax(z_t / T) ‖ softmax(z_s / T)) + (1 − α) · CE(y, softmax(z_s))
 *
 * z_t and z_s are the teacher's and the student's logits, T the temperature
 * that softens both distributions, y the hard labels. The soft term's
 * gradient with respect to z_s is (1/T)(q_s − q_t) per unit of loss, so its
 * magnitude falls as 1/T²; multiplying by T² keeps the two terms' relative
 * weight the same whatever T is (paper, end of sec. 2). KL differs from the
 * paper's soft cross-entropy by the teacher's entropy, a constant, so the
 * gradients are the same and the soft loss is 0 when the student matches.
 * α weights the soft targets; the paper found a considerably lower weight
 * on the hard labels works best, hence α = 0.7 by default.
 *
 * For regression there is nothing to soften: the student regresses on the
 * teacher's outputs and the labels, α · MSE(s, t) + (1 − α) · MSE(s, y).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { tf } from '../../model/tf';
import { ValidationError } from '../../errors';

export interface DistillationLossOptions {
  temperature: number;
  alpha: number;
}

export function checkLossOptions(o: DistillationLossOptions): void {
  if (!(o.temperature > 0) || !Number.isFinite(o.temperature)) {
    throw new ValidationError(
      `distillation temperature must be a positive number, got ${o.temperature}`,
    );
  }
  if (!(o.alpha >= 0 && o.alpha <= 1)) {
    throw new ValidationError(`distillation alpha must be in [0, 1], got ${o.alpha}`);
  }
}

/** Mean over the batch of KL(softmax(teacher/T) ‖ softmax(student/T)). */
export function softKl(
  studentLogits: tfTypes.Tensor,
  teacherLogits: tfTypes.Tensor,
  temperature: number,
): tfTypes.Scalar {
  const t = tf();
  return t.tidy(() => {
    const logP = t.logSoftmax(t.div(teacherLogits, temperature));
    const logQ = t.logSoftmax(t.div(studentLogits, temperature));
    const perSample = t.sum(t.mul(t.exp(logP), t.sub(logP, logQ)), -1);
    return t.mean(perSample) as tfTypes.Scalar;
  });
}

/** Hinton et al.'s loss for a classifier, on logits; y is one-hot. */
export function distillationLoss(
  studentLogits: tfTypes.Tensor,
  teacherLogits: tfTypes.Tensor,
  y: tfTypes.Tensor,
  o: DistillationLossOptions,
): tfTypes.Scalar {
  const t = tf();
  return t.tidy(() => {
    const soft = t.mul(softKl(studentLogits, teacherLogits, o.temperature), o.temperature ** 2);
    const hard = t.losses.softmaxCrossEntropy(y, studentLogits);
    return t.add(t.mul(soft, o.alpha), t.mul(hard, 1 - o.alpha)) as tfTypes.Scalar;
  });
}

/** The regression form: α · MSE(student, teacher) + (1 − α) · MSE(student, y). */
export function regressionDistillationLoss(
  student: tfTypes.Tensor,
  teacher: tfTypes.Tensor,
  y: tfTypes.Tensor,
  alpha: number,
): tfTypes.Scalar {
  const t = tf();
  return t.tidy(
    () =>
      t.add(
        t.mul(t.losses.meanSquaredError(teacher, student), alpha),
        t.mul(t.losses.meanSquaredError(y, student), 1 - alpha),
      ) as tfTypes.Scalar,
  );
}
