/**
 * Client of Arm NN's TfLite parser (armnn-child.py, run by the system
 * python where Debian installs pyarmnn): a second, independent reader of the
 * converter's files. One child process per suite, requests answered in order.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface ArmnnOutput {
  name: string;
  shape: number[];
  data: number[];
}

const CHILD = join(__dirname, '..', '..', '..', 'test', 'oracle', 'armnn-child.py');
/** Debian's python3-pyarmnn lives in the system interpreter, not in a pyenv one. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export class ArmnnOracle {
  private child: ChildProcessWithoutNullStreams;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (r: ArmnnOutput[]) => void; reject: (e: Error) => void }
  >();
  private stderr = '';

  constructor() {
    this.child = spawn(SYSTEM_PYTHON, [CHILD], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as { id: number; error?: string; outputs: ArmnnOutput[] };
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`Arm NN: ${msg.error}`));
      else p.resolve(msg.outputs);
    });
    const failAll = (why: string) => {
      for (const p of this.pending.values()) p.reject(new Error(`Arm NN oracle ${why}`));
      this.pending.clear();
    };
    this.child.on('error', (err) => failAll(`could not start ${SYSTEM_PYTHON}: ${err.message}`));
    this.child.on('exit', (code) => failAll(`exited with ${code}: ${this.stderr}`));
  }

  /** Parses `model` with Arm NN and runs it on the CpuRef backend. */
  run(model: Uint8Array, inputs: ArrayLike<number>[]): Promise<ArmnnOutput[]> {
    const id = this.nextId++;
    const req = {
      id,
      model: Buffer.from(model).toString('base64'),
      inputs: inputs.map((d) => ({ data: Array.from(d) })),
    };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(JSON.stringify(req) + '\n');
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.killed) return resolve();
      this.child.once('exit', () => resolve());
      this.child.stdin.end();
    });
  }
}
