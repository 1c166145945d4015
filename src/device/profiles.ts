/**
 * Device profiles: the limits a device announces in its status and enforces.
 *
 * rpi — a Linux board running the Node.js agent: large packets, memory and
 *   disk; its limits only guard against absurd models.
 * esp32 — an ESP32-class microcontroller as PubSubClient and ESP-IDF see it:
 *   - 256-byte MQTT packets, header included (PubSubClient's default buffer,
 *     README "Limitations"); larger incoming packets are dropped;
 *   - 100 KB of RAM for the tensor arena (≈ 320 KB DRAM minus Wi-Fi, lwIP
 *     and the MQTT client);
 *   - two 512 KB model slots (A/B, like ESP-IDF's ota_0/ota_1 app slots);
 *   - flash writes at ~80 KB/s (SPI NOR, W25Q32JV datasheet typicals: 4 KB
 *     sector erase 45 ms plus 16 page programs of 0.4 ms → 4096 B / 51 ms);
 *   - a receive buffer of ~22 packets (lwIP's default TCP window of 5744
 *     bytes over 256-byte packets): messages beyond it are dropped, as a
 *     broker drops QoS 0 messages for a consumer that does not read.
 */
import type { Capabilities } from '../fleet/messages';
import { ValidationError } from '../errors';

export interface Profile {
  name: 'rpi' | 'esp32';
  maxPacket: number;
  arenaBytes: number;
  /** Bytes of one model slot. */
  flashBytes: number;
  /** Most chunks in flight the device accepts. */
  window: number;
  /** Simulated flash write speed (bytes/s); undefined: as fast as the disk. */
  writeBps?: number;
  /** Messages the device can hold before it processes them; undefined: unbounded. */
  rxQueue?: number;
}

export const PROFILES: Record<string, Profile> = {
  rpi: {
    name: 'rpi',
    maxPacket: 256 * 1024 * 1024,
    arenaBytes: 512 * 1024 * 1024,
    flashBytes: 64 * 1024 * 1024,
    window: 32,
  },
  esp32: {
    name: 'esp32',
    maxPacket: 256,
    arenaBytes: 100 * 1024,
    flashBytes: 512 * 1024,
    window: 8,
    writeBps: 80000,
    rxQueue: 22,
  },
};

export function profileNamed(name: string | undefined, overrides: Partial<Profile> = {}): Profile {
  const base = PROFILES[name ?? 'rpi'];
  if (!base) {
    throw new ValidationError(
      `unknown profile "${name}"; profiles: ${Object.keys(PROFILES).join(', ')}`,
    );
  }
  return { ...base, ...overrides };
}

export function capabilitiesOf(
  profile: Profile,
  ops: string[],
  verify: 'ed25519' | 'none',
): Capabilities {
  return {
    maxPacket: profile.maxPacket,
    arenaBytes: profile.arenaBytes,
    flashBytes: profile.flashBytes,
    slots: 2,
    window: profile.window,
    ops,
    verify,
    // The agent and the simulator run the project's interpreter.
    runtime: 'tinyml',
    inference: 'tinyml',
  };
}
