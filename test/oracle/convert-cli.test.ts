/**
 * The path a user takes: a tfjs model saved to disk (model.json + weights),
 * `tinyml convert` with metadata options, and the file it writes loaded by
 * the real TFLite runtime and by Arm NN, agreeing with tfjs.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { saveModelDir } from '../../src/model/artifacts';
import { readModel } from '../../src/tflite/reader';
import { readMetadata } from '../../src/tflite/metadata';
import { TfliteOracle } from './tflite-runtime';
import { ArmnnOracle } from './armnn-runtime';
import { CASES, reference, seedModel } from './convert-cases';
import { maxRelDiff } from '../helpers/models';

describe('tinyml convert: saved tfjs models to files TFLite and Arm NN run', function () {
  this.timeout(120000);
  let dir: string;
  let tflite: TfliteOracle;
  let armnn: ArmnnOracle;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tinyml-convert-'));
    tflite = new TfliteOracle();
    armnn = new ArmnnOracle();
  });
  after(async () => {
    await Promise.all([tflite.close(), armnn.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ['MobileNet-style', 'Keyword-spotting', 'Add of three']) {
    it(`${name}: converts from disk with metadata, runs in both and agrees with tfjs`, async () => {
      const c = CASES.find((x) => x.name.startsWith(name))!;
      const model = c.build();
      seedModel(model, 31337);
      const { inputs, outputs } = reference(model, 4242);
      const modelDir = join(dir, name);
      await saveModelDir(model, modelDir);
      const out = join(dir, `${name}.tflite`);
      const lines: string[] = [];
      const io = { out: (s: string) => lines.push(s), err: (s: string) => lines.push(s) };
      const args = ['convert', join(modelDir, 'model.json'), '--out', out, '--version', '2'];
      assert.equal(await main([...args, '--labels', 'a,b,c', '--task', 'classification'], io), 0);
      assert.match(lines.join('\n'), /wrote .*\.tflite: \d+ bytes/);
      const bytes = new Uint8Array(readFileSync(out));
      assert.equal(readMetadata(readModel(bytes))?.version, '2');
      const real = await tflite.run(bytes, inputs);
      const arm = await armnn.run(bytes, inputs);
      outputs.forEach((expected, k) => {
        assert.ok(maxRelDiff(real.outputs[k].data, expected.data) <= 1e-5, `TFLite output ${k}`);
        assert.ok(maxRelDiff(arm[k].data, expected.data) <= 1e-5, `Arm NN output ${k}`);
      });
      model.dispose();
    });
  }
});
