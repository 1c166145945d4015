/**
 * ZeroPadding2D: PAD with a constant int32 [4, 2] paddings tensor
 * [[0, 0], [top, bottom], [left, right], [0, 0]] (NHWC; TFLite PAD pads with
 * zeros, or with the zero point for quantized tensors).
 */
import { BuiltinOperator } from '../model';
import { expectRank, layerError, requireChannelsLast, type LayerConverter } from './context';

function pairs(value: unknown): number[][] | undefined {
  const isCount = (d: unknown) => Number.isInteger(d) && (d as number) >= 0;
  if (isCount(value))
    return [
      [value as number, value as number],
      [value as number, value as number],
    ];
  if (!Array.isArray(value) || value.length !== 2) return undefined;
  const out = value.map((v) => (isCount(v) ? [v, v] : v));
  return out.every((p) => Array.isArray(p) && p.length === 2 && p.every(isCount))
    ? (out as number[][])
    : undefined;
}

export const zeroPadding2d: LayerConverter = (ctx) => {
  requireChannelsLast(ctx);
  const [batch, h, w, c] = expectRank(ctx, 4);
  const p = pairs(ctx.config.padding ?? 1);
  if (!p) {
    throw layerError(
      ctx,
      `padding ${JSON.stringify(ctx.config.padding)} must be n, [h, w] or [[top, bottom], [left, right]]`,
    );
  }
  const [[top, bottom], [left, right]] = p;
  const paddings = ctx.g.int32(
    `${ctx.layer.name}/paddings`,
    [0, 0, top, bottom, left, right, 0, 0],
    [4, 2],
  );
  const out = ctx.g.addTensor(ctx.layer.name, [batch, h + top + bottom, w + left + right, c]);
  ctx.g.addOperator(BuiltinOperator.PAD, [ctx.inputs[0], paddings], [out], { type: 'PadOptions' });
  return [out];
};
