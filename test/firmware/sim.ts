/**
 * Drives tinyml-host-sim (firmware/host/host_sim.c): the C device core with
 * the POSIX platform layer, fed one scripted message at a time. Every line
 * the device publishes comes back parsed; `send` resolves when the device has
 * handled the command (it prints "ok"), so a test sees exactly what one
 * message caused.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { sanitizerEnv, SANITIZER_REPORT } from './host-build';

export interface Published {
  topic: string;
  retain: boolean;
  payload: string;
}

export interface SimOutput {
  published: Published[];
  subscribed: { topic: string; qos: number }[];
  unsubscribed: string[];
  other: string[];
}

export class Sim {
  private readonly lines: string[] = [];
  private waiting: (() => void) | undefined;
  stderr = '';
  private exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (l) => {
      this.lines.push(l);
      this.waiting?.();
    });
    child.stderr.on('data', (d) => (this.stderr += d));
    this.exited = new Promise((r) => child.on('close', r));
    this.exited.then(() => this.waiting?.());
  }

  static async start(binary: string, args: string[]): Promise<Sim> {
    const sim = new Sim(spawn(binary, args, { env: sanitizerEnv }));
    await sim.collect(); // boot
    return sim;
  }

  private async collect(): Promise<SimOutput> {
    const out: SimOutput = { published: [], subscribed: [], unsubscribed: [], other: [] };
    for (;;) {
      const line = this.lines.shift();
      if (line === undefined) {
        if (this.child.exitCode !== null) {
          throw new Error(`host sim exited with ${this.child.exitCode}:\n${this.stderr}`);
        }
        await new Promise<void>((r) => (this.waiting = r));
        this.waiting = undefined;
        continue;
      }
      if (line === 'ok') return out;
      const [kind, topic, third] = line.split(' ', 3);
      if (kind === 'pub') {
        const payload = line.slice(kind.length + topic.length + third.length + 3);
        out.published.push({ topic, retain: third === '1', payload });
      } else if (kind === 'sub') {
        out.subscribed.push({ topic, qos: Number(third) });
      } else if (kind === 'unsub') {
        out.unsubscribed.push(topic);
      } else {
        out.other.push(line);
      }
    }
  }

  async send(command: string): Promise<SimOutput> {
    this.child.stdin.write(`${command}\n`);
    return this.collect();
  }

  msg(topic: string, payload: Uint8Array | string): Promise<SimOutput> {
    const hex = Buffer.from(payload).toString('hex');
    return this.send(`msg ${topic} ${hex}`);
  }

  /** Quits and checks the program ended cleanly, sanitizers included. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.stdin.end('quit\n');
    const code = await this.exited;
    assert.doesNotMatch(this.stderr, SANITIZER_REPORT, this.stderr);
    assert.equal(code, 0, `host sim exited with ${code}:\n${this.stderr}`);
  }
}
