/**
 * What a device refuses (docs/protocol.md §7.2 rules 1 and 4), in the
 * order the protocol fixes: the offer before anything is kept, the manifest
 * before anything is written to the slot. Each refusal names the expected
 * and the actual value.
 */
import type { KeyObject } from 'node:crypto';
import { publishPacketBytes } from '../fleet/geometry';
import { TransferLayout } from '../fleet/layout';
import { parseMessage, type ErrorCode, type Manifest, type Offer } from '../fleet/messages';
import { verifyBytes } from '../fleet/signing';
import type { Topics } from '../fleet/topics';
import type { Profile } from './profiles';

export interface Refusal {
  code: ErrorCode;
  error: string;
}

export interface DeviceLimits {
  id: string;
  profile: Profile;
  topics: Topics;
  /** Ops the device's interpreter registers. */
  ops: string[];
  /** When set, only manifests signed with the matching private key are accepted. */
  publicKey?: KeyObject;
}

export function checkOffer(offer: Offer, d: DeviceLimits): Refusal | undefined {
  const p = d.profile;
  const inconsistent = TransferLayout.problem(offer);
  if (inconsistent) return { code: 'E_PROTOCOL', error: inconsistent };
  if (offer.window > p.window) {
    return {
      code: 'E_PROTOCOL',
      error: `window of ${offer.window} chunks exceeds the device's ${p.window}`,
    };
  }
  const topics = [d.topics.chunk(d.id)];
  if (offer.fanout) topics.push(d.topics.fanout(offer.deployId));
  for (const topic of topics) {
    const bytes = publishPacketBytes(topic, 16 + offer.chunkSize);
    if (bytes > p.maxPacket) {
      return {
        code: 'E_PACKET',
        error: `a ${offer.chunkSize}-byte chunk on ${topic} makes a ${bytes}-byte packet; the device takes ${p.maxPacket}`,
      };
    }
  }
  if (offer.size > p.flashBytes) {
    return {
      code: 'E_TOO_BIG',
      error: `model of ${offer.size} bytes does not fit the ${p.flashBytes}-byte model slot`,
    };
  }
  if (d.publicKey && !offer.signed) {
    return {
      code: 'E_SIGNATURE',
      error: 'the device accepts only signed manifests; this offer is unsigned',
    };
  }
  return undefined;
}

/** Parses and checks a complete manifest section: the manifest, or why it is refused. */
export function checkManifest(
  offer: Offer,
  section: Uint8Array,
  d: DeviceLimits,
): Manifest | Refusal {
  const json = section.subarray(0, offer.mSize);
  let manifest: Manifest;
  try {
    manifest = parseMessage('manifest', json);
  } catch (err) {
    return { code: 'E_MANIFEST', error: (err as Error).message };
  }
  for (const k of ['deployId', 'size', 'chunkSize', 'chunks'] as const) {
    if (manifest[k] !== offer[k]) {
      return {
        code: 'E_MANIFEST',
        error: `manifest ${k} ${manifest[k]} differs from the offer's ${offer[k]}`,
      };
    }
  }
  if (d.publicKey) {
    const sig = section.subarray(offer.mSize, offer.mSize + 64);
    if (!offer.signed || !verifyBytes(d.publicKey, json, sig)) {
      return {
        code: 'E_SIGNATURE',
        error: "manifest signature does not verify with the device's public key",
      };
    }
  }
  const p = d.profile;
  if (manifest.arenaBytes > p.arenaBytes) {
    return {
      code: 'E_ARENA',
      error: `model needs a ${manifest.arenaBytes}-byte arena; the device has ${p.arenaBytes}`,
    };
  }
  const unsupported = manifest.ops.filter((op) => !d.ops.includes(op));
  if (unsupported.length) {
    return { code: 'E_OPS', error: `ops not supported by the device: ${unsupported.join(', ')}` };
  }
  return manifest;
}

export function isRefusal(x: Manifest | Refusal): x is Refusal {
  return 'code' in x;
}
