/**
 * The firmware's portable C core, built on this machine with gcc -Wall
 * -Wextra -Werror under ASan/UBSan, held against the references that make
 * the protocol's bytes: node:crypto (sha256, Ed25519 signatures), the
 * deployer's chunk encoder (src/fleet/chunk.ts, as `tinyml deploy` sends
 * it), and ajv with the protocol's JSON Schemas (src/fleet/messages.ts) —
 * the device must accept exactly the messages the schemas accept.
 */
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeChunk } from '../../src/fleet/chunk';
import { validateMessage, type MessageKind } from '../../src/fleet/messages';
import { mulberry32 } from '../../src/model/random';
import { buildHost, sanitizerEnv, SANITIZER_REPORT, type HostPrograms } from './host-build';
import { manifestCases, offerCases, commandCases, inferCases } from './message-cases';

const run = promisify(execFile);

function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

async function tool(p: HostPrograms, args: string[], input?: string): Promise<string> {
  const child = execFile(p.tool, args, { env: sanitizerEnv, maxBuffer: 64 * 1024 * 1024 });
  if (input !== undefined) child.stdin!.end(input);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.doesNotMatch(err, SANITIZER_REPORT);
  assert.equal(code, 0, `tm-tool ${args[0]} exited with ${code}: ${err}`);
  return out;
}

describe('firmware core (C, host build under ASan/UBSan)', function () {
  this.timeout(240000);
  let p: HostPrograms;
  const dir = mkdtempSync(join(tmpdir(), 'tinyml-fw-core-'));

  before(async () => {
    p = await buildHost();
  });

  it('its C unit tests pass (FIPS 180-4, RFC 8032 vectors, JSON grammar, records)', async () => {
    const { stdout, stderr } = await run(p.coreTests, [], { env: sanitizerEnv });
    assert.doesNotMatch(stderr, SANITIZER_REPORT);
    assert.match(stdout, /\d+ checks, 0 failed/);
  });

  it('sha256 equals node:crypto for every length class, hashed in odd pieces', async () => {
    const rand = mulberry32(7);
    for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70001]) {
      const bytes = randomBytes(rand, n);
      const file = join(dir, `sha-${n}`);
      writeFileSync(file, bytes);
      const want = createHash('sha256').update(bytes).digest('hex');
      for (const piece of ['1', '7', '64', String(Math.max(1, n))]) {
        assert.equal((await tool(p, ['sha256', file, piece])).trim(), want, `${n} bytes by ${piece}`);
      }
    }
  });

  it('Ed25519: accepts node:crypto signatures and refuses any changed byte', async () => {
    const rand = mulberry32(8);
    for (let k = 0; k < 6; k++) {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(12).toString('hex');
      const message = randomBytes(rand, [0, 1, 300, 4096, 33, 64][k]);
      const file = join(dir, `msg-${k}`);
      writeFileSync(file, message);
      const sig = sign(null, message, privateKey);
      assert.equal((await tool(p, ['verify', pub, sig.toString('hex'), file])).trim(), 'valid');
      const badSig = Buffer.from(sig);
      badSig[Math.floor(rand() * 64)] ^= 1 << Math.floor(rand() * 8);
      assert.equal((await tool(p, ['verify', pub, badSig.toString('hex'), file])).trim(), 'invalid');
      if (message.length > 0) {
        const changed = Buffer.from(message);
        changed[Math.floor(rand() * changed.length)] ^= 0x80;
        writeFileSync(file, changed);
        assert.equal((await tool(p, ['verify', pub, sig.toString('hex'), file])).trim(), 'invalid');
      }
    }
  });

  it("decodes the deployer's chunks and refuses damaged ones", async () => {
    const rand = mulberry32(9);
    for (const [index, n] of [
      [0, 16],
      [7, 192],
      [4096, 976],
      [0xfffffffe, 65535],
    ] as const) {
      const chunk = encodeChunk('0badf00d', index, randomBytes(rand, n));
      const file = join(dir, `chunk-${index}`);
      writeFileSync(file, chunk);
      assert.equal((await tool(p, ['chunk', file])).trim(), `ok 0badf00d ${index} ${n}`);
      const damaged = Buffer.from(chunk);
      damaged[16 + Math.floor(rand() * n)] ^= 4;
      writeFileSync(file, damaged);
      assert.match((await tool(p, ['chunk', file])).trim(), /^invalid: chunk CRC-32 is/);
    }
  });

  const kinds: [MessageKind, string, () => string[]][] = [
    ['offer', 'offer', offerCases],
    ['manifest', 'manifest', manifestCases],
    ['command', 'command', commandCases],
    ['inferRequest', 'infer', inferCases],
  ];
  for (const [kind, cKind, cases] of kinds) {
    it(`accepts exactly the ${kind} messages the protocol's JSON Schema accepts`, async () => {
      const lines = cases();
      const verdicts = (await tool(p, ['parse', cKind], lines.join('\n') + '\n')).trim().split('\n');
      assert.equal(verdicts.length, lines.length);
      const disagreements: string[] = [];
      let accepted = 0;
      lines.forEach((line, i) => {
        let ajvOk = true;
        try {
          validateMessage(kind, JSON.parse(line));
        } catch {
          ajvOk = false;
        }
        const cOk = verdicts[i] === 'ok';
        if (ajvOk) accepted++;
        if (ajvOk !== cOk) disagreements.push(`${line}\n  ajv: ${ajvOk}, C: ${verdicts[i]}`);
      });
      assert.deepEqual(disagreements, []);
      // The corpus must exercise both sides.
      assert.ok(accepted > 3 && accepted < lines.length - 10, `${accepted}/${lines.length} valid`);
    });
  }
});
