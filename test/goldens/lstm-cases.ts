/**
 * Golden cases for UNIDIRECTIONAL_SEQUENCE_LSTM: single-op models in the
 * layout TensorFlow's converter writes (24 inputs: 8 weight matrices, 4
 * biases, hidden and cell state as variable tensors, the optional peephole,
 * projection and layer-norm slots empty), from seeded random sizes, weights
 * and quantization — float32, int8 activations (int32 biases, int16 cell
 * state) and int16 activations (int64 biases). Batch-major and time-major,
 * with and without a cell clip. As for cases.ts, the expected outputs come
 * from TFLite Micro's reference kernels (compute.ts), never from the
 * interpreter; each run starts from the reset state, as TFLM's does.
 */
import { GraphBuilder } from '../../src/tflite/convert/graph-builder';
import {
  BuiltinOperator,
  type Quantization,
  type TensorTypeName,
  type TfliteModel,
} from '../../src/tflite/model';
import { mulberry32 } from '../../src/model/random';
import { float32Data, int8Data, q, randInt, type GoldenCase, type Rand } from './cases';

export type LstmType = 'float32' | 'int8' | 'int16';

const GATES = ['input', 'forget', 'cell', 'output'] as const;

function biasData(
  rand: Rand,
  n: number,
  type: LstmType,
): Float32Array | Int32Array | BigInt64Array {
  if (type === 'float32') return float32Data(rand, n, 0.5);
  const values = Array.from({ length: n }, () => randInt(rand, -3000, 3000));
  return type === 'int8' ? Int32Array.from(values) : BigInt64Array.from(values.map(BigInt));
}

export interface LstmSpec {
  type: LstmType;
  batch: number;
  steps: number;
  inDim: number;
  units: number;
  timeMajor: boolean;
  cellClip: number;
  /** Changes the operator's 24 inputs before it is added (tests of what the kernel refuses). */
  edit?: (g: GraphBuilder, opInputs: number[]) => void;
}

/** A one-op LSTM model with random weights and quantization drawn from `rand`. */
export function buildLstm(rand: Rand, spec: LstmSpec): TfliteModel {
  const { type, batch, steps, inDim, units, timeMajor, cellClip } = spec;
  const inShape = timeMajor ? [steps, batch, inDim] : [batch, steps, inDim];
  const quantized = type !== 'float32';
  // int8 inputs span about +-3 (random int8 values times the scale); int16 the same.
  const sIn = type === 'int16' ? 3 / 32768 : 0.02 + rand() * 0.02;
  const zpIn = type === 'int8' ? randInt(rand, -20, 20) : 0;
  const sHidden = type === 'int16' ? 1 / 32768 : 1 / 128 + rand() * 0.002;
  const zpHidden = type === 'int8' ? randInt(rand, -10, 10) : 0;
  const cellScale = 2 ** -randInt(rand, 11, 13);
  const g = new GraphBuilder();
  const actQ = (s: number, zp: number): Quantization | undefined =>
    quantized ? q(s, zp) : undefined;
  const x = g.addTensor('x', inShape, type, undefined, actQ(sIn, zpIn));
  const weights = (name: string, cols: number, inputScale: number) => {
    if (!quantized)
      return g.addTensor(name, [units, cols], 'float32', float32Data(rand, units * cols, 0.6));
    const sW = 0.002 + rand() * 0.006;
    const w = g.addTensor(name, [units, cols], 'int8', int8Data(rand, units * cols), q(sW, 0));
    return { w, scale: sW * inputScale };
  };
  const inputW: number[] = [];
  const recurrentW: number[] = [];
  const biasScales: number[] = [];
  for (const gate of GATES) {
    const w = weights(`${gate}_w`, inDim, sIn);
    if (typeof w === 'number') inputW.push(w);
    else {
      inputW.push(w.w);
      biasScales.push(w.scale);
    }
  }
  for (const gate of GATES) {
    const r = weights(`${gate}_r`, units, sHidden);
    recurrentW.push(typeof r === 'number' ? r : r.w);
  }
  const biasType: TensorTypeName =
    type === 'float32' ? 'float32' : type === 'int8' ? 'int32' : 'int64';
  const biases = GATES.map((gate, i) =>
    g.addTensor(
      `${gate}_b`,
      [units],
      biasType,
      biasData(rand, units, type) as never,
      quantized ? q(biasScales[i], 0) : undefined,
    ),
  );
  const hidden = g.variable('hidden', [batch, units], type, actQ(sHidden, zpHidden));
  const cell = g.variable(
    'cell',
    [batch, units],
    quantized ? 'int16' : 'float32',
    quantized ? q(cellScale, 0) : undefined,
  );
  const y = g.addTensor(
    'y',
    [inShape[0], inShape[1], units],
    type,
    undefined,
    actQ(sHidden, zpHidden),
  );
  const none = [-1, -1, -1];
  const opInputs = [
    x,
    ...inputW,
    ...recurrentW,
    ...none,
    ...biases,
    -1,
    -1,
    hidden,
    cell,
    -1,
    -1,
    -1,
    -1,
  ];
  spec.edit?.(g, opInputs);
  g.addOperator(BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, opInputs, [y], {
    type: 'UnidirectionalSequenceLSTMOptions',
    fusedActivationFunction: 'TANH',
    cellClip,
    timeMajor,
  });
  return g.finish([x], [y], 'tinyml golden case');
}

function lstm(seed: number, type: LstmType): GoldenCase {
  const rand = mulberry32(seed);
  const batch = randInt(rand, 1, 3);
  const steps = randInt(rand, 1, 6);
  const inDim = randInt(rand, 1, 10);
  const units = randInt(rand, 1, 8);
  const timeMajor = seed % 2 === 0;
  const cellClip = seed % 3 === 0 ? 0.5 + rand() * 2 : 0;
  const spec = { type, batch, steps, inDim, units, timeMajor, cellClip };
  return { name: `unidirectional_sequence_lstm_${type}_${seed}`, model: buildLstm(rand, spec) };
}

export function lstmCases(): GoldenCase[] {
  const cases: GoldenCase[] = [];
  for (let s = 1; s <= 6; s++) {
    cases.push(lstm(8000 + s, 'float32'), lstm(8100 + s, 'int8'), lstm(8200 + s, 'int16'));
  }
  return cases;
}
