/**
 * The firmware core's sha256 (FIPS 180-4) and Ed25519 verification (RFC 8032),
 * written in portable C for microcontrollers, against node:crypto (OpenSSL) in
 * the same run, on this host: an optimized build (-O2, no sanitizers) of
 * firmware/host's tm-tool. On an ESP32 the firmware hashes with the SHA
 * accelerator through mbedTLS instead, and verifies one signature per deploy.
 */
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark } from './index';
import { table } from './index';
import { mulberry32 } from '../src/model/random';

const ROOT = join(__dirname, '..', '..');

function seconds(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export const benchmark: Benchmark = {
  name: 'firmware-crypto',
  description: 'firmware core sha256 and Ed25519 verify (C, -O2) vs node:crypto',
  async run(log) {
    const out = join(ROOT, 'dist', 'firmware', 'release');
    execFileSync(
      'make',
      [
        '-C',
        join(ROOT, 'firmware', 'host'),
        '-s',
        '-j2',
        `OUT=${out}`,
        'OPT=-O2',
        join(out, 'tm-tool'),
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const tool = join(out, 'tm-tool');
    const dir = mkdtempSync(join(tmpdir(), 'tinyml-bench-fw-'));
    const rand = mulberry32(1);
    const model = Buffer.alloc(300568); // person_detect's size
    for (let i = 0; i < model.length; i++) model[i] = Math.floor(rand() * 256);
    const modelFile = join(dir, 'model.bin');
    writeFileSync(modelFile, model);
    const manifest = Buffer.from(JSON.stringify({ v: 1, pad: 'x'.repeat(400) }));
    const manifestFile = join(dir, 'manifest.json');
    writeFileSync(manifestFile, manifest);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const sig = sign(null, manifest, privateKey);
    const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('hex');

    const shaReps = 40;
    const cSha = Number(
      execFileSync(tool, ['bench-sha256', modelFile, String(shaReps)], { encoding: 'utf8' }),
    );
    const nodeSha = seconds(() => {
      for (let r = 0; r < shaReps; r++) createHash('sha256').update(model).digest();
    });
    const verReps = 200;
    const cVer = Number(
      execFileSync(
        tool,
        ['bench-verify', pub, sig.toString('hex'), manifestFile, String(verReps)],
        {
          encoding: 'utf8',
        },
      ),
    );
    const nodeVer = seconds(() => {
      for (let r = 0; r < verReps; r++) verify(null, manifest, publicKey, sig);
    });
    const mbps = (s: number) => ((model.length * shaReps) / s / 1e6).toFixed(1);
    const us = (s: number) => ((s / verReps) * 1e6).toFixed(0);
    log(
      table(
        ['operation', 'firmware core (C)', 'node:crypto', 'ratio C/node (time)'],
        [
          ['sha256, MB/s', mbps(cSha), mbps(nodeSha), (cSha / nodeSha).toFixed(2)],
          ['Ed25519 verify, µs', us(cVer), us(nodeVer), (cVer / nodeVer).toFixed(2)],
        ],
      ),
    );
  },
};
