/**
 * Commands whose engine is not built yet. They exit 2 with a line that says
 * so, instead of pretending (the optimize and benchmark issues bring them).
 */
import type { Command } from '../args';
import { NotImplementedError } from '../../errors';

function pending(name: string, summary: string, usage: string): Command {
  return {
    name,
    summary: `${summary} (not yet implemented)`,
    usage,
    options: {},
    async run() {
      throw new NotImplementedError(`${name} is not yet implemented`);
    },
  };
}

export const prune = pending(
  'prune',
  'magnitude or structured pruning with fine-tuning',
  'tinyml prune MODEL.json --data DATA --sparsity 0.8 [--structured] --out DIR',
);
export const distill = pending(
  'distill',
  'knowledge distillation from a teacher into a smaller student',
  'tinyml distill --teacher T/model.json --student-spec S.json --data DATA --out DIR [--temperature 4 --alpha 0.7]',
);
