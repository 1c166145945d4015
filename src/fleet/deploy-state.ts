/**
 * The deployer's memory of its unfinished deployments, so that a restarted
 * deployer (Node-RED or `tinyml deploy`) continues a transfer instead of
 * starting over (docs/protocol.md §8.8).
 *
 * A device keeps an unfinished transfer until a new offer or a cancel, and a
 * repeated offer with the same deployId is a poll that it answers with what
 * it holds. So to resume, a deployer needs the deployId and the exact bytes
 * it was sending: the manifest section (the manifest JSON with its
 * createdAt, and its signature) and the chunk size. The model itself is
 * given again by the caller and matched by its sha256. That is all this file
 * keeps, per deployment, in one small JSON file:
 *
 *   {"v":1,"deployments":[{"deployId":"9f3a1c07","sha256":"…","target":{"device":"esp-1"},
 *     "chunkSize":192,"fanout":false,"mSize":301,"section":"<base64>","savedAt":…}]}
 *
 * It is written atomically (temporary file, then rename), read and
 * validated with ajv on every change, and an entry is removed when its
 * deployment ends. Several deployers in one process share an instance;
 * separate processes must not share a file.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { DeployTarget } from './targets';
import { verifyBytes } from './signing';
import { ajv, check } from '../util/validate';
import { ValidationError } from '../errors';

export interface SavedDeployment {
  deployId: string;
  /** sha256 of the model being deployed. */
  sha256: string;
  target: DeployTarget;
  chunkSize: number;
  fanout: boolean;
  /** Bytes of the manifest JSON at the start of `section`. */
  mSize: number;
  /** The manifest section as sent (manifest JSON, then the signature when signed), base64. */
  section: string;
  savedAt: number;
  /** Who resumes it by itself after a restart (a Node-RED node id); its model is kept too. */
  owner?: string;
}

interface StateFile {
  v: 1;
  deployments: SavedDeployment[];
}

const idPattern = '^[A-Za-z0-9_.-]{1,64}$';
const validateFile = ajv.compile<StateFile>({
  type: 'object',
  required: ['v', 'deployments'],
  properties: {
    v: { const: 1 },
    deployments: {
      type: 'array',
      maxItems: 1024,
      items: {
        type: 'object',
        required: ['deployId', 'sha256', 'target', 'chunkSize', 'fanout', 'mSize', 'section'],
        properties: {
          deployId: { type: 'string', pattern: '^[0-9a-f]{8}$' },
          sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          target: {
            oneOf: [
              {
                type: 'object',
                required: ['device'],
                properties: { device: { type: 'string', pattern: idPattern } },
                additionalProperties: false,
              },
              {
                type: 'object',
                required: ['devices'],
                properties: {
                  devices: { type: 'array', items: { type: 'string', pattern: idPattern } },
                },
                additionalProperties: false,
              },
              {
                type: 'object',
                required: ['group'],
                properties: { group: { type: 'string', pattern: idPattern } },
                additionalProperties: false,
              },
              {
                type: 'object',
                required: ['all'],
                properties: { all: { const: true } },
                additionalProperties: false,
              },
            ],
          },
          chunkSize: { type: 'integer', minimum: 16, maximum: 65535 },
          fanout: { type: 'boolean' },
          mSize: { type: 'integer', minimum: 2, maximum: 4096 },
          section: { type: 'string', pattern: '^[A-Za-z0-9+/]*={0,2}$', maxLength: 8192 },
          savedAt: { type: 'number' },
          owner: { type: 'string', minLength: 1, maxLength: 128 },
        },
      },
    },
  },
});

export class DeployState {
  /** Writes in order, one at a time. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly path: string) {}

  /** Every saved deployment; none when the file does not exist yet. */
  async load(): Promise<SavedDeployment[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new ValidationError(
        `cannot read the deploy state file ${this.path}: ${(err as Error).message}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new ValidationError(
        `deploy state file ${this.path} is not JSON (${(err as Error).message}); delete it to start deployments over`,
      );
    }
    const where = `deploy state file ${this.path} (delete it to start deployments over)`;
    return check<StateFile>(validateFile, json, where).deployments;
  }

  /**
   * The saved deployment of this model to this target that can be resumed:
   * same sha256 and target, signed with this key (or unsigned without one),
   * and a chunk size the devices still take.
   */
  async find(
    sha256: string,
    target: DeployTarget,
    key: KeyObject | undefined,
    fits: (s: SavedDeployment) => boolean,
  ): Promise<SavedDeployment | undefined> {
    const all = await this.serialized(() => this.load());
    return all.find(
      (s) =>
        s.sha256 === sha256 && isDeepStrictEqual(s.target, target) && signedBy(s, key) && fits(s),
    );
  }

  /** Records a deployment (replacing any other of the same model and target). */
  save(entry: SavedDeployment): Promise<void> {
    return this.update((all) => [
      ...all.filter(
        (s) =>
          s.deployId !== entry.deployId &&
          !(s.sha256 === entry.sha256 && isDeepStrictEqual(s.target, entry.target)),
      ),
      entry,
    ]);
  }

  /** Forgets a deployment that ended (and its kept model). */
  async remove(deployId: string): Promise<void> {
    await this.update((all) => all.filter((s) => s.deployId !== deployId));
    await rm(this.modelPath(deployId), { force: true });
  }

  /** The saved deployments `owner` resumes by itself. */
  async owned(owner: string): Promise<SavedDeployment[]> {
    return (await this.serialized(() => this.load())).filter((s) => s.owner === owner);
  }

  /** Keeps the model of an owned deployment beside the state file. */
  async saveModel(deployId: string, model: Uint8Array): Promise<void> {
    await mkdir(dirname(this.modelPath(deployId)), { recursive: true });
    await writeFile(this.modelPath(deployId), model);
  }

  /** The kept model, or undefined when it is gone. */
  async readModel(deployId: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.modelPath(deployId)));
    } catch {
      return undefined;
    }
  }

  private modelPath(deployId: string): string {
    return join(`${this.path}.models`, `${deployId}.tflite`);
  }

  private update(change: (all: SavedDeployment[]) => SavedDeployment[]): Promise<void> {
    return this.serialized(async () => {
      const next: StateFile = { v: 1, deployments: change(await this.load()) };
      try {
        await mkdir(dirname(this.path), { recursive: true });
        const tmp = `${this.path}.tmp`;
        const fh = await open(tmp, 'w');
        try {
          await fh.writeFile(JSON.stringify(next));
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, this.path);
      } catch (err) {
        throw new ValidationError(
          `cannot write the deploy state file ${this.path}: ${(err as Error).message}`,
        );
      }
    });
  }

  private serialized<T>(job: () => Promise<T>): Promise<T> {
    const run = this.chain.then(job, job);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** The manifest section as the device holds it: JSON bytes, signature bytes. */
export function sectionOf(s: SavedDeployment): { manifest: Uint8Array; signature: Uint8Array } {
  const bytes = Buffer.from(s.section, 'base64');
  return {
    manifest: new Uint8Array(bytes.subarray(0, s.mSize)),
    signature: new Uint8Array(bytes.subarray(s.mSize)),
  };
}

function signedBy(s: SavedDeployment, key: KeyObject | undefined): boolean {
  const { manifest, signature } = sectionOf(s);
  if (!key) return signature.length === 0;
  return signature.length === 64 && verifyBytes(createPublicKey(key), manifest, signature);
}
