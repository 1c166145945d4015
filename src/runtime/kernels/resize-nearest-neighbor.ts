/**
 * RESIZE_NEAREST_NEIGHBOR (micro/kernels/resize_nearest_neighbor.cc,
 * reference/resize_nearest_neighbor.h): output pixel (y, x) copies input pixel
 * (GetNearestNeighbor(y), GetNearestNeighbor(x)), computed in float as TFLM
 * does: scale = in / out, or (in - 1) / (out - 1) with align_corners;
 * source = floor((i + offset) * scale), rounded half away from zero instead
 * with align_corners; offset 0.5 with half_pixel_centers; clamped to the
 * input. NHWC, constant int32 size [height, width]; float32, int8 or int16.
 */
import { input, KernelError, type NodeContext } from '../kernel';
import { f32, roundHalfAway } from '../quant/rounding';
import { constantInts, expectOutputShape, expectSameTypes, mapKernel } from './index-map';

export function nearestNeighbor(
  i: number,
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  halfPixelCenters: boolean,
): number {
  const scale =
    alignCorners && outSize > 1 ? f32((inSize - 1) / (outSize - 1)) : f32(inSize / outSize);
  const offset = halfPixelCenters ? 0.5 : 0;
  const pos = f32(f32(i + offset) * scale);
  let v = Math.min(alignCorners ? roundHalfAway(pos) : Math.floor(pos), inSize - 1);
  if (halfPixelCenters) v = Math.max(0, v);
  return v;
}

function build(node: NodeContext): Int32Array {
  expectSameTypes(node, 'float32', 'int8', 'int16');
  const x = input(node, 0);
  if (x.shape.length !== 4)
    throw new KernelError(node, `input has shape [${x.shape}]; expected rank 4`);
  const size = constantInts(node, 1, 'size');
  if (size.length !== 2)
    throw new KernelError(node, `size has ${size.length} elements; expected 2`);
  const [batches, inH, inW, depth] = x.shape;
  const [outH, outW] = size;
  expectOutputShape(node, [batches, outH, outW, depth]);
  const align = node.options?.alignCorners === true;
  const half = node.options?.halfPixelCenters === true;
  const map = new Int32Array(batches * outH * outW * depth);
  let i = 0;
  for (let b = 0; b < batches; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const iy = nearestNeighbor(oy, inH, outH, align, half);
      for (let ox = 0; ox < outW; ox++) {
        const ix = nearestNeighbor(ox, inW, outW, align, half);
        const base = ((b * inH + iy) * inW + ix) * depth;
        for (let c = 0; c < depth; c++) map[i++] = base + c;
      }
    }
  }
  return map;
}

export const resizeNearestNeighbor = mapKernel(build);
