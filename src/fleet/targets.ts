/**
 * Who a deployment is for (docs/protocol.md §8 rules 1 and 4): the target
 * forms (a device, a list, a group, all), finding their statuses in the
 * registry, the split into waves of a staged rollout, and one line per
 * device outcome for the CLI and logs.
 */
import type { DeviceOutcome } from './delivery';
import type { DeviceStatus } from './messages';
import type { FleetRegistry } from './registry';
import { isValidId } from './topics';
import { FleetError, ValidationError } from '../errors';

export type DeployTarget =
  { device: string } | { devices: string[] } | { group: string } | { all: true };

export function describeTarget(t: DeployTarget): string {
  if ('device' in t) return `device ${t.device}`;
  if ('devices' in t) return `devices ${t.devices.join(', ')}`;
  if ('group' in t) return `group ${t.group}`;
  return 'all devices';
}

export function validateTarget(t: DeployTarget): void {
  const ids =
    'device' in t ? [t.device] : 'devices' in t ? t.devices : 'group' in t ? [t.group] : [];
  for (const id of ids) {
    if (!isValidId(id)) throw new ValidationError(`deploy target "${id}" is not a valid id`);
  }
  if ('devices' in t && t.devices.length === 0) {
    throw new ValidationError('deploy target: the device list is empty');
  }
}

/** Cumulative wave shares → device counts per wave. */
export function waveSizes(n: number, waves: number[] = [1]): number[] {
  const shares = [...waves.filter((w) => w > 0 && w < 1), 1];
  const sizes: number[] = [];
  let done = 0;
  for (const share of shares) {
    const upTo = Math.min(n, Math.max(done + 1, Math.ceil(share * n)));
    if (upTo > done) sizes.push(upTo - done);
    done = upTo;
  }
  return sizes;
}

/**
 * The statuses of the targets. A device or a list: waits (up to `timeoutMs`)
 * until each is online; those that are not are `missing`. A group or all:
 * the retained statuses collected until none arrived for 500 ms (at most
 * `discoverMs`), offline members included; none at all is an error.
 */
export async function findTargets(
  t: DeployTarget,
  registry: FleetRegistry,
  timeoutMs: number,
  discoverMs = 3000,
): Promise<{ statuses: DeviceStatus[]; missing: string[] }> {
  if ('device' in t || 'devices' in t) {
    const ids = 'device' in t ? [t.device] : [...new Set(t.devices)];
    const found = await Promise.all(
      ids.map((id) => registry.waitFor(id, (s) => s.online, timeoutMs)),
    );
    return {
      statuses: found.filter((s): s is DeviceStatus => s !== undefined),
      missing: ids.filter((_, i) => !found[i]),
    };
  }
  await registry.settle(500, discoverMs);
  const statuses = 'group' in t ? registry.group(t.group) : registry.list();
  if (statuses.length === 0) {
    throw new FleetError(`no device of ${describeTarget(t)} has announced itself on the broker`);
  }
  return { statuses, missing: [] };
}

/** One line per device, for the CLI and logs. */
export function formatOutcome(o: DeviceOutcome): string {
  const detail =
    o.state === 'active'
      ? `active ${o.sha256} (${o.chunksSent} chunks sent, ${o.chunksResent} resent, ${o.durationMs} ms)`
      : `${o.state}${o.code ? ` ${o.code}` : ''}: ${o.error ?? ''}`;
  const serving = o.serving ? `; serving ${o.serving.name} ${o.serving.version}` : '';
  return `${o.deviceId}: ${detail}${o.state === 'active' ? '' : serving}`;
}
