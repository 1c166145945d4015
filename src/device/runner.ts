/**
 * A loaded model on a device: the project's interpreter with the device's
 * arena limit, the self-test that gates activation, and inference as the
 * results topic reports it (outputs, top label and score, latency).
 */
import { Interpreter } from '../runtime/interpreter';
import { runJson, type RunResult } from '../runtime/io';
import type { OpResolver } from '../runtime/resolver';

export class ModelRunner {
  readonly interp: Interpreter;
  readonly labels: string[] | undefined;

  /** Loads `bytes`; throws when the model cannot run here (op, arena, format). */
  constructor(bytes: Uint8Array, arenaLimit: number, resolver?: OpResolver) {
    this.interp = new Interpreter(bytes, { maxArenaBytes: arenaLimit, resolver });
    this.labels = this.interp.metadata?.labels;
  }

  /**
   * One inference on all-zero inputs (zero is a valid value of every input
   * type; for an int8 input it is a real value near the zero point) whose
   * outputs must all be finite. Returns why it failed, or undefined.
   */
  selfTest(): string | undefined {
    for (const t of this.interp.inputs) {
      if (t.data instanceof BigInt64Array) t.data.fill(0n);
      else t.data.fill(0);
    }
    try {
      this.interp.invoke();
    } catch (err) {
      return `self-test inference failed: ${(err as Error).message}`;
    }
    for (const t of this.interp.outputs) {
      for (let i = 0; i < t.data.length; i++) {
        const v = Number(t.data[i]);
        if (!Number.isFinite(v)) {
          return `self-test inference gave ${v} at output "${t.name}"[${i}]`;
        }
      }
    }
    return undefined;
  }

  run(input: unknown[]): RunResult & { label?: string; score?: number } {
    const result = runJson(this.interp, input);
    const top = topLabel(result.outputs[0]?.data ?? [], this.labels);
    return top ? { ...result, ...top } : result;
  }
}

/** The best class of a classification output, when the model has labels for it. */
export function topLabel(
  scores: number[],
  labels?: string[],
): { label: string; score: number } | undefined {
  if (!labels || scores.length !== labels.length || scores.length < 2) return undefined;
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return { label: labels[best], score: scores[best] };
}
