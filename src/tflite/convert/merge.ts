/**
 * Merge layers (tfjs has no Subtract). Add, Multiply, Maximum and Minimum of n inputs are
 * a chain of n - 1 binary ops, left to right, as Keras computes them
 * (keras/layers/merging: `output = output + inputs[i]`); Average is that ADD
 * chain followed by a MUL with 1/n. Concatenate is CONCATENATION on the
 * layer's axis, counted with the batch dimension as TFLite tensors have it.
 */
import { BuiltinOperator } from '../model';
import { layerError, type LayerContext, type LayerConverter } from './context';

/** Numpy broadcasting of two shapes of equal rank, or undefined. */
function broadcastShape(a: number[], b: number[]): number[] | undefined {
  if (a.length !== b.length) return undefined;
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i] || b[i] === 1) out.push(a[i]);
    else if (a[i] === 1) out.push(b[i]);
    else return undefined;
  }
  return out;
}

const OPTIONS: Record<number, string | undefined> = {
  [BuiltinOperator.ADD]: 'AddOptions',
  [BuiltinOperator.MUL]: 'MulOptions',
};

function chain(ctx: LayerContext, op: number, finalName: string): number {
  const { g } = ctx;
  if (ctx.inputs.length < 2) {
    throw layerError(ctx, `needs at least 2 inputs, got ${ctx.inputs.length}`);
  }
  let acc = ctx.inputs[0];
  for (let i = 1; i < ctx.inputs.length; i++) {
    const other = ctx.inputs[i];
    const shape = broadcastShape(g.tensors[acc].shape, g.tensors[other].shape);
    if (!shape) {
      throw layerError(
        ctx,
        `cannot combine shapes [${g.tensors[acc].shape}] and [${g.tensors[other].shape}]`,
      );
    }
    const last = i === ctx.inputs.length - 1;
    const out = g.addTensor(last ? finalName : `${ctx.layer.name}/${i}`, shape);
    const optionsType = OPTIONS[op];
    g.addOperator(op, [acc, other], [out], optionsType ? { type: optionsType } : undefined);
    acc = out;
  }
  return acc;
}

function binary(op: number): LayerConverter {
  return (ctx) => [chain(ctx, op, ctx.layer.name)];
}

const average: LayerConverter = (ctx) => {
  const sum = chain(ctx, BuiltinOperator.ADD, `${ctx.layer.name}/sum`);
  const scale = ctx.g.constant(
    `${ctx.layer.name}/scale`,
    [],
    Float32Array.of(1 / ctx.inputs.length),
  );
  const out = ctx.g.addTensor(ctx.layer.name, ctx.g.tensors[sum].shape);
  ctx.g.addOperator(BuiltinOperator.MUL, [sum, scale], [out], { type: 'MulOptions' });
  return [out];
};

const concatenate: LayerConverter = (ctx) => {
  const { g } = ctx;
  const shapes = ctx.inputs.map((t) => g.tensors[t].shape);
  const rank = shapes[0].length;
  const raw = ctx.config.axis ?? -1;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw >= rank || raw < -rank) {
    throw layerError(ctx, `axis ${JSON.stringify(raw)} is outside rank ${rank}`);
  }
  const axis = raw < 0 ? raw + rank : raw;
  if (axis === 0) throw layerError(ctx, 'concatenating along the batch axis is not supported');
  for (const s of shapes) {
    if (s.length !== rank || s.some((d, i) => i !== axis && d !== shapes[0][i])) {
      throw layerError(
        ctx,
        `inputs [${shapes.map((x) => `[${x}]`).join(', ')}] differ outside axis ${axis}`,
      );
    }
  }
  const outShape = [...shapes[0]];
  outShape[axis] = shapes.reduce((n, s) => n + s[axis], 0);
  const out = g.addTensor(ctx.layer.name, outShape);
  g.addOperator(BuiltinOperator.CONCATENATION, [...ctx.inputs], [out], {
    type: 'ConcatenationOptions',
    axis,
    fusedActivationFunction: 'NONE',
  });
  return [out];
};

export const MERGE_CONVERTERS: Record<string, LayerConverter> = {
  Add: binary(BuiltinOperator.ADD),
  Multiply: binary(BuiltinOperator.MUL),
  Maximum: binary(BuiltinOperator.MAXIMUM),
  Minimum: binary(BuiltinOperator.MINIMUM),
  Average: average,
  Concatenate: concatenate,
};
