/**
 * SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND (micro/kernels/space_to_batch_nd.cc,
 * batch_to_space_nd.cc; reference/space_to_batch_nd.h, batch_to_space_nd.h),
 * which TensorFlow's converter puts around a convolution to lower dilation.
 * NHWC inputs of rank 4, or rank 3 read as [batch, height, 1, depth] (then
 * block shape and paddings/crops have one spatial entry); float32 or int8.
 *
 * SPACE_TO_BATCH_ND pads each spatial axis (top/left from `paddings`) and
 * moves each block offset (shift_h, shift_w) into its own batch: output batch
 * ob reads input batch ob % batches at offset (ob / batches) as (shift_h,
 * shift_w). TFLM fills the padding with SpaceToBatchParams.output_offset,
 * which its micro kernel never sets: the persistent buffer it lives in is
 * the zero-initialised arena, so the padding is raw 0 bytes (0.0, or int8 0
 * whatever the zero point), and so it is here.
 * BATCH_TO_SPACE_ND is the inverse, cropping (top/left from `crops`).
 * Block shape, paddings and crops must be constant (TFLM reads them at eval).
 */
import { input, KernelError, output, type NodeContext } from '../kernel';
import { constantInts, expectOutputShape, expectSameTypes, mapKernel, PAD } from './index-map';

interface Geometry {
  /** [batch, height, width, depth] of input and output, rank 3 widened. */
  inShape: number[];
  outShape: number[];
  blockH: number;
  blockW: number;
  top: number;
  left: number;
}

function geometry(node: NodeContext, toBatch: boolean): Geometry {
  expectSameTypes(node, 'float32', 'int8');
  const x = input(node, 0);
  const y = output(node, 0);
  const rank = x.shape.length;
  if ((rank !== 3 && rank !== 4) || y.shape.length !== rank) {
    throw new KernelError(
      node,
      `input [${x.shape}] and output [${y.shape}] must both have rank 3 or 4`,
    );
  }
  const spatial = rank - 2;
  const block = constantInts(node, 1, 'block_shape');
  const pads = constantInts(node, 2, toBatch ? 'paddings' : 'crops');
  if (block.length !== spatial || pads.length !== 2 * spatial || block.some((b) => b < 1)) {
    throw new KernelError(
      node,
      `block_shape [${block}] and ${toBatch ? 'paddings' : 'crops'} [${pads}] must have ${spatial} and ${2 * spatial} entries, blocks >= 1`,
    );
  }
  const widen = (s: readonly number[]) => (rank === 4 ? [...s] : [s[0], s[1], 1, s[2]]);
  const [b, h, w, c] = widen(x.shape);
  const blockH = block[0];
  const blockW = spatial === 2 ? block[1] : 1;
  const [top, bottom] = [pads[0], pads[1]];
  const [left, right] = spatial === 2 ? [pads[2], pads[3]] : [0, 0];
  let expected: number[];
  if (toBatch) {
    if ((h + top + bottom) % blockH !== 0 || (w + left + right) % blockW !== 0) {
      throw new KernelError(
        node,
        `padded input [${x.shape}] is not a multiple of block [${block}]`,
      );
    }
    expected = [b * blockH * blockW, (h + top + bottom) / blockH, (w + left + right) / blockW, c];
  } else {
    if (b % (blockH * blockW) !== 0) {
      throw new KernelError(node, `input batch ${b} is not a multiple of block [${block}]`);
    }
    expected = [b / (blockH * blockW), h * blockH - top - bottom, w * blockW - left - right, c];
  }
  expectOutputShape(node, rank === 4 ? expected : [expected[0], expected[1], expected[3]]);
  return { inShape: [b, h, w, c], outShape: expected, blockH, blockW, top, left };
}

function spaceToBatchMap(node: NodeContext): Int32Array {
  const { inShape, outShape, blockH, blockW, top, left } = geometry(node, true);
  const [inB, inH, inW, depth] = inShape;
  const [outB, outH, outW] = outShape;
  const map = new Int32Array(outB * outH * outW * depth);
  let i = 0;
  for (let ob = 0; ob < outB; ob++) {
    const ib = ob % inB;
    const shiftW = Math.floor(ob / inB) % blockW;
    const shiftH = Math.floor(Math.floor(ob / inB) / blockW);
    for (let oh = 0; oh < outH; oh++) {
      const ih = oh * blockH + shiftH - top;
      for (let ow = 0; ow < outW; ow++) {
        const iw = ow * blockW + shiftW - left;
        const inside = ih >= 0 && ih < inH && iw >= 0 && iw < inW;
        const base = ((ib * inH + ih) * inW + iw) * depth;
        for (let c = 0; c < depth; c++) map[i++] = inside ? base + c : PAD;
      }
    }
  }
  return map;
}

function batchToSpaceMap(node: NodeContext): Int32Array {
  const { inShape, outShape, blockH, blockW, top, left } = geometry(node, false);
  const [inB, inH, inW, depth] = inShape;
  const [outB, outH, outW] = outShape;
  const map = new Int32Array(outB * outH * outW * depth).fill(PAD);
  for (let ib = 0; ib < inB; ib++) {
    const ob = ib % outB;
    const offset = Math.floor(ib / outB);
    for (let ih = 0; ih < inH; ih++) {
      const oh = ih * blockH + Math.floor(offset / blockW) - top;
      if (oh < 0 || oh >= outH) continue;
      for (let iw = 0; iw < inW; iw++) {
        const ow = iw * blockW + (offset % blockW) - left;
        if (ow < 0 || ow >= outW) continue;
        const dst = ((ob * outH + oh) * outW + ow) * depth;
        const src = ((ib * inH + ih) * inW + iw) * depth;
        for (let c = 0; c < depth; c++) map[dst + c] = src + c;
      }
    }
  }
  return map;
}

export const spaceToBatchNd = mapKernel(spaceToBatchMap, true);
export const batchToSpaceNd = mapKernel(batchToSpaceMap, true);
