/**
 * Everything a deployment sends, built once: the manifest (signed when a key
 * is given), the offer each target receives and every chunk, encoded once
 * and reused for fan-out, repairs and every target.
 */
import type { KeyObject } from 'node:crypto';
import { encodeChunk } from './chunk';
import { TransferLayout } from './layout';
import { MAX_MANIFEST_BYTES, type Manifest, type Offer } from './messages';
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
}

export class Bundle {
  readonly manifest: Manifest;
  readonly manifestBytes: Uint8Array;
  readonly offer: Offer;
  readonly layout: TransferLayout;
  private readonly section: Uint8Array;
  private readonly encoded: (Buffer | undefined)[];

  constructor(private readonly opts: BundleOptions) {
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
    this.manifest = withExtras;
    if (bytes.length > MAX_MANIFEST_BYTES) {
      bytes = new TextEncoder().encode(JSON.stringify(manifest));
      this.manifest = manifest;
    }
    if (bytes.length > MAX_MANIFEST_BYTES) {
      throw new FleetError(
        `manifest of ${bytes.length} bytes exceeds the protocol's ${MAX_MANIFEST_BYTES}-byte limit (too many ops?)`,
      );
    }
    this.manifestBytes = bytes;
    const signature = opts.key ? signBytes(opts.key, bytes) : new Uint8Array(0);
    this.section = new Uint8Array(bytes.length + signature.length);
    this.section.set(bytes, 0);
    this.section.set(signature, bytes.length);
    const mChunks = Math.ceil(this.section.length / chunkSize);
    this.offer = {
      v: 1,
      deployId,
      size: info.size,
      chunkSize,
      chunks: manifest.chunks,
      mSize: bytes.length,
      mChunks,
      signed: signature.length > 0,
      window: opts.window,
      ackEvery: ackEveryFor(opts.window, mChunks + manifest.chunks),
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
