/**
 * Device profiles: the limits a device announces and enforces. "rpi" is a
 * Linux board running the Node.js agent; "esp32" simulates an ESP32-class
 * microcontroller (PubSubClient's default 256-byte MQTT packets, about
 * 100 KB of RAM left for the tensor arena, a 1 MB model partition).
 */
import type { Capabilities } from '../fleet/messages';

export interface Profile {
  name: string;
  maxPacket: number;
  arenaBytes: number;
  flashBytes: number;
}

export const PROFILES: Record<string, Profile> = {
  rpi: {
    name: 'rpi',
    maxPacket: 256 * 1024 * 1024,
    arenaBytes: 512 * 1024 * 1024,
    flashBytes: 64 * 1024 * 1024,
  },
  esp32: { name: 'esp32', maxPacket: 256, arenaBytes: 100 * 1024, flashBytes: 1024 * 1024 },
};

export function capabilitiesOf(profile: Profile, ops: string[]): Capabilities {
  return {
    maxPacket: profile.maxPacket,
    arenaBytes: profile.arenaBytes,
    flashBytes: profile.flashBytes,
    ops,
  };
}
