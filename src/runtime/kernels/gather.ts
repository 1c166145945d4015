/**
 * GATHER (micro/kernels/gather.cc): along `axis`, output slice j is input
 * slice positions[j]; with batch_dims b the first b dimensions of input and
 * positions are matched. TFLM gathers float32 and int8 with int32 positions.
 * Positions are read at invoke, so an out-of-range position fails there
 * (TFLM only DCHECKs it), naming the value.
 */
import { elementCount } from '../../tflite/model';
import { input, KernelError, numberOption, output, type Kernel, type NodeContext } from '../kernel';
import { expectOutputShape } from './index-map';

interface GatherData {
  batchSize: number;
  outerSize: number;
  axisSize: number;
  innerSize: number;
  coordSize: number;
}

export const gather: Kernel<GatherData> = {
  prepare(node) {
    const x = input(node, 0);
    const coords = input(node, 1);
    const y = output(node, 0);
    if (coords.type !== 'int32') {
      throw new KernelError(
        node,
        `positions "${coords.name}" have type ${coords.type}; expected int32`,
      );
    }
    if (x.type !== 'float32' && x.type !== 'int8') {
      throw new KernelError(node, `input has type ${x.type}; expected float32 or int8`);
    }
    if (y.type !== x.type)
      throw new KernelError(node, `input type ${x.type} and output type ${y.type} differ`);
    const rank = x.shape.length;
    const rawAxis = numberOption(node, 'axis', 0);
    const axis = rawAxis < 0 ? rawAxis + rank : rawAxis;
    const rawBatch = numberOption(node, 'batchDims', 0);
    const batchDims = rawBatch < 0 ? rawBatch + coords.shape.length : rawBatch;
    if (axis < 0 || axis >= rank)
      throw new KernelError(node, `axis ${rawAxis} is outside a rank-${rank} input`);
    if (batchDims < 0 || batchDims > axis || batchDims > coords.shape.length) {
      throw new KernelError(node, `batch_dims ${rawBatch} must be in [0, axis ${axis}]`);
    }
    for (let i = 0; i < batchDims; i++) {
      if (x.shape[i] !== coords.shape[i]) {
        throw new KernelError(
          node,
          `batch dimension ${i}: input ${x.shape[i]}, positions ${coords.shape[i]}`,
        );
      }
    }
    expectOutputShape(node, [
      ...x.shape.slice(0, axis),
      ...coords.shape.slice(batchDims),
      ...x.shape.slice(axis + 1),
    ]);
    return {
      batchSize: elementCount(x.shape.slice(0, batchDims)),
      outerSize: elementCount(x.shape.slice(batchDims, axis)),
      axisSize: x.shape[axis],
      innerSize: elementCount(x.shape.slice(axis + 1)),
      coordSize: elementCount(coords.shape.slice(batchDims)),
    };
  },
  eval(node, d) {
    gatherReference(
      node,
      d,
      node.inputs[0]!.data as Int8Array,
      node.inputs[1]!.data as Int32Array,
      node.outputs[0].data as Int8Array,
    );
  },
};

function gatherReference(
  node: NodeContext,
  d: GatherData,
  x: Int8Array,
  coords: Int32Array,
  y: Int8Array,
): void {
  const { batchSize, outerSize, axisSize, innerSize, coordSize } = d;
  for (let b = 0; b < batchSize; b++) {
    for (let o = 0; o < outerSize; o++) {
      for (let c = 0; c < coordSize; c++) {
        const pos = coords[b * coordSize + c];
        if (pos < 0 || pos >= axisSize) {
          throw new KernelError(node, `position ${pos} is outside [0, ${axisSize})`);
        }
        const dst = ((b * outerSize + o) * coordSize + c) * innerSize;
        const src = ((b * outerSize + o) * axisSize + pos) * innerSize;
        for (let i = 0; i < innerSize; i++) y[dst + i] = x[src + i];
      }
    }
  }
}
