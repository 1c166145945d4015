/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM beyond the TFLM goldens: the variants TFLite
 * Micro's kernel does not run are refused at load with a message naming them,
 * and the hidden and cell state are variable tensors — a sequence run one
 * step per invoke gives the outputs of the same sequence run in one invoke,
 * until reset() starts it over.
 */
import { strict as assert } from 'node:assert';
import { Interpreter } from '../../../src/runtime/interpreter';
import { KernelError } from '../../../src/runtime/kernel';
import { writeModel } from '../../../src/tflite/writer';
import { mulberry32 } from '../../../src/model/random';
import { buildLstm, type LstmSpec, type LstmType } from '../../goldens/lstm-cases';

const base = (type: LstmType, steps = 3): LstmSpec => ({
  type,
  batch: 1,
  steps,
  inDim: 4,
  units: 3,
  timeMajor: false,
  cellClip: 0,
});

function load(spec: LstmSpec, seed = 7): Interpreter {
  return new Interpreter(writeModel(buildLstm(mulberry32(seed), spec)));
}

function refusal(spec: LstmSpec): string {
  try {
    load(spec);
  } catch (err) {
    assert.ok(err instanceof KernelError, `expected a KernelError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('the model loaded');
}

describe('UNIDIRECTIONAL_SEQUENCE_LSTM kernel', () => {
  it('refuses peephole weights, naming them', () => {
    const spec = base('float32');
    spec.edit = (g, inputs) => {
      inputs[10] = g.addTensor('peephole', [3], 'float32', new Float32Array(3));
    };
    assert.match(
      refusal(spec),
      /UNIDIRECTIONAL_SEQUENCE_LSTM.*peephole \(cell-to-forget\).*input 10/,
    );
  });

  it('refuses projection and layer normalization', () => {
    const projection = base('float32');
    projection.edit = (g, inputs) => {
      inputs[16] = g.addTensor('proj', [3, 3], 'float32', new Float32Array(9));
    };
    assert.match(refusal(projection), /projection weights \(input 16\)/);
    const norm = base('float32');
    norm.edit = (g, inputs) => {
      inputs[21] = g.addTensor('ln', [3], 'float32', new Float32Array(3));
    };
    assert.match(refusal(norm), /forget layer-normalization/);
  });

  it('refuses an LSTM without input gate (CIFG)', () => {
    const spec = base('int8');
    spec.edit = (_g, inputs) => {
      inputs[1] = -1;
      inputs[5] = -1;
      inputs[12] = -1;
    };
    assert.match(refusal(spec), /without an input gate \(CIFG\)/);
  });

  it('refuses float inputs with int8 weights (hybrid)', () => {
    const spec = base('float32');
    spec.edit = (g, inputs) => {
      inputs[2] = g.addTensor('w8', [3, 4], 'int8', new Int8Array(12), {
        scale: [0.01],
        zeroPoint: [0],
        quantizedDimension: 0,
      });
    };
    assert.match(refusal(spec), /hybrid LSTM/);
  });

  it('refuses a state that is not a variable tensor', () => {
    const spec = base('float32');
    spec.edit = (g, inputs) => {
      inputs[19] = g.addTensor('cell_const', [1, 3], 'float32', new Float32Array(3));
    };
    assert.match(refusal(spec), /state "cell_const" must be a variable tensor/);
  });

  for (const type of ['float32', 'int8', 'int16'] as const) {
    it(`${type}: the state carries over between invokes until reset()`, () => {
      const steps = 4;
      const whole = load(base(type, steps));
      const stepwise = load(base(type, 1));
      const rand = mulberry32(99);
      const x = whole.inputs[0];
      const values = Array.from({ length: x.data.length }, () =>
        type === 'float32' ? rand() * 2 - 1 : Math.floor(rand() * 200) - 100,
      );
      whole.setInput(0, values);
      whole.invoke();
      const expected = Array.from(whole.outputs[0].data as ArrayLike<number>);
      const run = () => {
        const got: number[] = [];
        for (let t = 0; t < steps; t++) {
          stepwise.setInput(0, values.slice(t * 4, t * 4 + 4));
          stepwise.invoke();
          got.push(...Array.from(stepwise.outputs[0].data as ArrayLike<number>));
        }
        return got;
      };
      assert.deepEqual(run(), expected);
      // Without a reset the second pass starts from the first pass's state.
      assert.notDeepEqual(run(), expected);
      stepwise.reset();
      assert.deepEqual(run(), expected);
    });
  }
});
