/**
 * Everything a deployment sends, built once: the manifest (signed when a key
 * is given), the offer each target receives and every chunk, encoded once
 * and reused for fan-out, repairs and every target.
 */
import type { KeyObject } from 'node:crypto';
import { encodeChunk } from './chunk';
import { TransferLayout } from './layout';
import { MAX_MANIFEST_BYTES, parseMessage, type Manifest, type Offer } from './messages';
import type { ModelInfo } from './model-info';
import { signBytes } from './signing';
import { FleetError } from '../errors';

/**
 * Half a window, so the device reports while the sender still has chunks in
 * flight and the pipe never drains waiting for an acknowledgement; and at
 * least four reports per transfer, so a short one is not confirmed only at
 * its end.
 */
export function ackEveryFor(window: number, total: number): number {
  return Math.max(1, Math.min(Math.floor(window / 2), Math.ceil(total / 4)));
}

export interface BundleOptions {
  deployId: string;
  model: Uint8Array;
  info: ModelInfo;
  chunkSize: number;
  window: number;
  fanout: boolean;
  key?: KeyObject;
  now?: number;
  /**
   * The manifest section of an earlier run of this deployment (resuming
   * after a deployer restart, deploy-state.ts): sent again byte for byte, as
   * the devices may hold part of it.
   */
  resume?: { manifest: Uint8Array; signature: Uint8Array };
}

export class Bundle {
  readonly manifest: Manifest;
  readonly manifestBytes: Uint8Array;
  /** The Ed25519 signature of manifestBytes, or empty. */
  readonly signature: Uint8Array;
  readonly offer: Offer;
  readonly layout: TransferLayout;
  private readonly section: Uint8Array;
  private readonly encoded: (Buffer | undefined)[];

  constructor(private readonly opts: BundleOptions) {
    const { info, chunkSize, deployId } = opts;
    const built = opts.resume ? resumed(opts, opts.resume) : fresh(opts);
    this.manifest = built.manifest;
    this.manifestBytes = built.bytes;
    const signature = built.signature;
    this.signature = signature;
    this.section = new Uint8Array(this.manifestBytes.length + signature.length);
    this.section.set(this.manifestBytes, 0);
    this.section.set(signature, this.manifestBytes.length);
    const mChunks = Math.ceil(this.section.length / chunkSize);
    this.offer = {
      v: 1,
      deployId,
      size: info.size,
      chunkSize,
      chunks: this.manifest.chunks,
      mSize: this.manifestBytes.length,
      mChunks,
      signed: signature.length > 0,
      window: opts.window,
      ackEvery: ackEveryFor(opts.window, mChunks + this.manifest.chunks),
      fanout: opts.fanout,
    };
    this.layout = new TransferLayout(this.offer);
    this.encoded = new Array(this.layout.total);
  }

  get total(): number {
    return this.layout.total;
  }

  /** The encoded chunk message for index `i` (cached). */
  chunk(i: number): Buffer {
    let c = this.encoded[i];
    if (!c) {
      const cs = this.offer.chunkSize;
      const start = this.layout.sectionOffset(i);
      const src = this.layout.isManifest(i) ? this.section : this.opts.model;
      c = encodeChunk(
        this.offer.deployId,
        i,
        src.subarray(start, Math.min(src.length, start + cs)),
      );
      this.encoded[i] = c;
    }
    return c;
  }
}

interface Built {
  manifest: Manifest;
  bytes: Uint8Array;
  signature: Uint8Array;
}

function fresh(opts: BundleOptions): Built {
  const { info, chunkSize, deployId } = opts;
  const manifest: Manifest = {
    v: 1,
    deployId,
    name: info.name,
    version: info.version,
    format: 'tflite',
    size: info.size,
    sha256: info.sha256,
    chunkSize,
    chunks: Math.ceil(info.size / chunkSize),
    arenaBytes: info.arenaBytes,
    tflmArenaBytes: info.tflmArenaBytes,
    ops: info.ops,
    quantization: info.quantization,
    createdAt: opts.now ?? Date.now(),
  };
  // Labels and input scaling are informative (the model's own metadata is
  // authoritative and covered by the sha256): keep them only while the
  // manifest stays within its limit.
  const withExtras: Manifest = { ...manifest };
  if (info.labels) withExtras.labels = info.labels;
  if (info.inputScaling) withExtras.inputScaling = info.inputScaling;
  let bytes = new TextEncoder().encode(JSON.stringify(withExtras));
  let chosen = withExtras;
  if (bytes.length > MAX_MANIFEST_BYTES) {
    bytes = new TextEncoder().encode(JSON.stringify(manifest));
    chosen = manifest;
  }
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new FleetError(
      `manifest of ${bytes.length} bytes exceeds the protocol's ${MAX_MANIFEST_BYTES}-byte limit (too many ops?)`,
    );
  }
  const signature = opts.key ? signBytes(opts.key, bytes) : new Uint8Array(0);
  return { manifest: chosen, bytes, signature };
}

function resumed(opts: BundleOptions, saved: NonNullable<BundleOptions['resume']>): Built {
  const manifest = parseMessage('manifest', saved.manifest);
  const { info, chunkSize, deployId } = opts;
  const expected = { deployId, sha256: info.sha256, size: info.size, chunkSize };
  for (const [k, v] of Object.entries(expected)) {
    if (manifest[k as keyof typeof expected] !== v) {
      throw new FleetError(
        `the saved manifest of deployment ${deployId} has ${k} ${manifest[k as keyof typeof expected]}, expected ${v}`,
      );
    }
  }
  return { manifest, bytes: saved.manifest, signature: saved.signature };
}
