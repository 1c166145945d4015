/**
 * Where a Raspberry Pi agent's inputs come from besides MQTT requests:
 * stdin (one JSON array per line, e.g. piped from a sensor script), a
 * command run every interval whose stdout is one JSON array, or a sensor
 * read in-process by an input callback (results say source "sensor", as the
 * firmware's do for its own readings). Each input runs
 * on the active model and its result is published on the results topic; a
 * bad line or a failing command is logged and skipped, never fatal.
 */
import { execFile } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { DeviceAgent } from './agent';

export interface InputSource {
  stop(): void;
}

function parseInput(text: string): unknown[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value)) throw new Error('input must be a JSON array');
  return value;
}

export function stdinInputs(
  agent: DeviceAgent,
  stream: Readable,
  log: (line: string) => void,
): InputSource {
  const rl = createInterface({ input: stream });
  let chain = Promise.resolve();
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    chain = chain.then(async () => {
      try {
        const r = await agent.infer(parseInput(line), 'stdin');
        log(JSON.stringify(r));
      } catch (err) {
        log(`stdin: ${(err as Error).message}; line skipped`);
      }
    });
  });
  return { stop: () => rl.close() };
}

export function commandInputs(
  agent: DeviceAgent,
  command: string,
  intervalMs: number,
  log: (line: string) => void,
): InputSource {
  let running = false;
  const run = () => {
    if (running) return; // a slow command is never run twice at once
    running = true;
    execFile('/bin/sh', ['-c', command], { timeout: intervalMs * 4 }, (err, stdout) => {
      const done = (line?: string) => {
        running = false;
        if (line) log(line);
      };
      if (err) return done(`input command failed: ${err.message.split('\n')[0]}`);
      let input: unknown[];
      try {
        input = parseInput(stdout.trim());
      } catch (e) {
        return done(`input command printed no JSON array: ${(e as Error).message}`);
      }
      agent.infer(input, 'command').then(
        () => done(),
        (e: Error) => done(`input command: ${e.message}`),
      );
    });
  };
  const timer = setInterval(run, intervalMs);
  run();
  return { stop: () => clearInterval(timer) };
}

/**
 * The device's own sensor: `read` is called every interval (never twice at
 * once) and returns one input — one entry per model input, or a bare array
 * for a single-input model; `undefined` skips the interval. Results carry
 * source "sensor".
 */
export function sensorInputs(
  agent: DeviceAgent,
  read: () => unknown[] | undefined | Promise<unknown[] | undefined>,
  intervalMs: number,
  log: (line: string) => void,
): InputSource {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const input = await read();
      if (input === undefined) return;
      if (!Array.isArray(input)) throw new Error('a sensor reading must be an array');
      await agent.infer(input, 'sensor');
    } catch (err) {
      log(`sensor: ${(err as Error).message}; reading skipped`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void run(), intervalMs);
  void run();
  return { stop: () => clearInterval(timer) };
}
