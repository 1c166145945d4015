/**
 * DEPTH_TO_SPACE (micro/kernels/depth_to_space.cc, reference/depth_to_space.h):
 * NHWC, block size b: output (h, w, d) reads input (h / b, w / b,
 * d + ((h % b) * b + w % b) * output_depth). float32 or int8, copied as is.
 */
import { input, KernelError, numberOption, type NodeContext } from '../kernel';
import { expectOutputShape, expectSameTypes, mapKernel } from './index-map';

function build(node: NodeContext): Int32Array {
  expectSameTypes(node, 'float32', 'int8');
  const x = input(node, 0);
  if (x.shape.length !== 4)
    throw new KernelError(node, `input has shape [${x.shape}]; expected rank 4`);
  const bs = numberOption(node, 'blockSize', 0);
  const [batches, inH, inW, inD] = x.shape;
  if (bs < 1 || inD % (bs * bs) !== 0) {
    throw new KernelError(node, `block_size ${bs} must be >= 1 and divide the depth ${inD} twice`);
  }
  const outH = inH * bs;
  const outW = inW * bs;
  const outD = inD / (bs * bs);
  expectOutputShape(node, [batches, outH, outW, outD]);
  const map = new Int32Array(batches * outH * outW * outD);
  let i = 0;
  for (let b = 0; b < batches; b++) {
    for (let h = 0; h < outH; h++) {
      for (let w = 0; w < outW; w++) {
        const base = ((b * inH + Math.floor(h / bs)) * inW + Math.floor(w / bs)) * inD;
        const blockOffset = ((h % bs) * bs + (w % bs)) * outD;
        for (let d = 0; d < outD; d++) map[i++] = base + blockOffset + d;
      }
    }
  }
  return map;
}

export const depthToSpace = mapKernel(build);
