/**
 * RESIZE_BILINEAR (micro/kernels/resize_bilinear.cc, reference/
 * resize_bilinear.h), NHWC with a constant int32 size [height, width].
 *
 * float32 (ResizeBilinear): source coordinate v * scale, or
 * (v + 0.5) * scale - 0.5 with half_pixel_centers, scale = in / out or
 * (in - 1) / (out - 1) with align_corners; the four neighbours weighted by
 * (1 - dy)(1 - dx), dy(1 - dx), (1 - dy)dx, dy dx and summed left to right,
 * every step in float as TFLM compiles it.
 * int8 (ResizeBilinearInteger): the same in 10-bit fixed point: scale_10 =
 * round(2^10 * in / out) by integer division, weights in 2^-10 units, the sum
 * in 2^-20 units rounded half away from zero (the double-rounding build's
 * division by 2^20). No requantization: the output keeps the input's scale.
 */
import { input, KernelError, type Kernel, type NodeContext } from '../kernel';
import { f32 } from '../quant/rounding';
import { constantInts, expectOutputShape, expectSameTypes } from './index-map';

interface ResizeData {
  batches: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  depth: number;
  /** Per output row / column: lower and upper source index and the fractional position. */
  y0: Int32Array;
  y1: Int32Array;
  fy: Float64Array;
  x0: Int32Array;
  x1: Int32Array;
  fx: Float64Array;
  integer: boolean;
}

/** ComputeInterpolationValues: [scaled (float), lower, upper]. */
function floatAxis(
  v: number,
  scale: number,
  half: boolean,
  size: number,
): [number, number, number] {
  const scaled = half ? f32(f32(f32(v + 0.5) * scale) - 0.5) : f32(v * scale);
  return [scaled, Math.max(Math.floor(scaled), 0), Math.min(Math.ceil(scaled), size - 1)];
}

/** ComputeInterpolationValuesInteger: [scaled (2^-10 units), lower, upper]. */
function integerAxis(
  v: number,
  scale10: number,
  half: boolean,
  size: number,
): [number, number, number] {
  const scaled = half ? v * scale10 + Math.trunc(scale10 / 2) - 512 : v * scale10;
  return [
    scaled,
    Math.max(Math.trunc(scaled / 1024), 0),
    Math.min(Math.trunc((scaled + 1023) / 1024), size - 1),
  ];
}

function prepare(node: NodeContext): ResizeData {
  expectSameTypes(node, 'float32', 'int8');
  const x = input(node, 0);
  if (x.shape.length !== 4)
    throw new KernelError(node, `input has shape [${x.shape}]; expected rank 4`);
  const size = constantInts(node, 1, 'size');
  if (size.length !== 2)
    throw new KernelError(node, `size has ${size.length} elements; expected 2`);
  const align = node.options?.alignCorners === true;
  const half = node.options?.halfPixelCenters === true;
  if (align && half) {
    throw new KernelError(node, 'half_pixel_centers and align_corners cannot both be set');
  }
  const [batches, inH, inW, depth] = x.shape;
  const [outH, outW] = size;
  expectOutputShape(node, [batches, outH, outW, depth]);
  const integer = x.type === 'int8';
  const axis = (inSize: number, outSize: number) => {
    const lo = new Int32Array(outSize);
    const hi = new Int32Array(outSize);
    const frac = new Float64Array(outSize);
    const corners = align && outSize > 1;
    if (integer) {
      const num = corners ? inSize - 1 : inSize;
      const den = corners ? outSize - 1 : outSize;
      const scale10 = Math.trunc((1024 * num + Math.trunc(den / 2)) / den);
      for (let v = 0; v < outSize; v++)
        [frac[v], lo[v], hi[v]] = integerAxis(v, scale10, half, inSize);
    } else {
      const scale = corners ? f32((inSize - 1) / (outSize - 1)) : f32(inSize / outSize);
      for (let v = 0; v < outSize; v++) [frac[v], lo[v], hi[v]] = floatAxis(v, scale, half, inSize);
    }
    return [lo, hi, frac] as const;
  };
  const [y0, y1, fy] = axis(inH, outH);
  const [x0, x1, fx] = axis(inW, outW);
  return { batches, inH, inW, outH, outW, depth, y0, y1, fy, x0, x1, fx, integer };
}

export function resizeBilinearFloat(d: ResizeData, src: Float32Array, dst: Float32Array): void {
  const { batches, inH, inW, outH, outW, depth } = d;
  let o = 0;
  for (let b = 0; b < batches; b++) {
    for (let y = 0; y < outH; y++) {
      const y0 = d.y0[y];
      const y1 = d.y1[y];
      const dy = f32(d.fy[y] - y0);
      const wy = f32(1 - dy);
      for (let x = 0; x < outW; x++) {
        const x0 = d.x0[x];
        const x1 = d.x1[x];
        const dx = f32(d.fx[x] - x0);
        const wx = f32(1 - dx);
        const p00 = ((b * inH + y0) * inW + x0) * depth;
        const p10 = ((b * inH + y1) * inW + x0) * depth;
        const p01 = ((b * inH + y0) * inW + x1) * depth;
        const p11 = ((b * inH + y1) * inW + x1) * depth;
        for (let c = 0; c < depth; c++) {
          const t1 = f32(f32(src[p00 + c] * wy) * wx);
          const t2 = f32(f32(src[p10 + c] * dy) * wx);
          const t3 = f32(f32(src[p01 + c] * wy) * dx);
          const t4 = f32(f32(src[p11 + c] * dy) * dx);
          dst[o++] = f32(f32(f32(t1 + t2) + t3) + t4);
        }
      }
    }
  }
}

export function resizeBilinearInt8(d: ResizeData, src: Int8Array, dst: Int8Array): void {
  const { batches, inH, inW, outH, outW, depth } = d;
  let o = 0;
  for (let b = 0; b < batches; b++) {
    for (let y = 0; y < outH; y++) {
      const y0 = d.y0[y];
      const y1 = d.y1[y];
      const dy = d.fy[y] - 1024 * y0;
      for (let x = 0; x < outW; x++) {
        const x0 = d.x0[x];
        const x1 = d.x1[x];
        const dx = d.fx[x] - 1024 * x0;
        const p00 = ((b * inH + y0) * inW + x0) * depth;
        const p10 = ((b * inH + y1) * inW + x0) * depth;
        const p01 = ((b * inH + y0) * inW + x1) * depth;
        const p11 = ((b * inH + y1) * inW + x1) * depth;
        for (let c = 0; c < depth; c++) {
          // |sum| < 2^27: exact in a double.
          const sum =
            src[p00 + c] * (1024 - dy) * (1024 - dx) +
            src[p10 + c] * dy * (1024 - dx) +
            src[p01 + c] * (1024 - dy) * dx +
            src[p11 + c] * dy * dx;
          dst[o++] = Math.trunc((sum + (sum > 0 ? 524288 : -524288)) / 1048576);
        }
      }
    }
  }
}

export const resizeBilinear: Kernel<ResizeData> = {
  prepare,
  eval(node, d) {
    const x = node.inputs[0]!.data;
    const y = node.outputs[0].data;
    if (d.integer) resizeBilinearInt8(d, x as Int8Array, y as Int8Array);
    else resizeBilinearFloat(d, x as Float32Array, y as Float32Array);
  },
};
