/**
 * The topic tree of protocol v1 (docs/protocol.md), under a configurable
 * prefix (default "tinyml/"). One place builds every topic so the device, the
 * deployer, the registry and the nodes agree.
 *
 *   {p}devices/{id}/status     device → all    retained presence + capabilities
 *   {p}devices/{id}/offer      → device        a transfer offer (also poll/resume)
 *   {p}devices/{id}/chunk      → device        binary chunks for this device only
 *   {p}deploys/{deployId}/chunk → devices      binary chunks fanned out to a group
 *   {p}devices/{id}/progress   device → deployer  acknowledgements and states
 *   {p}devices/{id}/cmd        → device        rollback, cancel, status
 *   {p}devices/{id}/reply      device → caller    answer to a command
 *   {p}devices/{id}/infer      → device        request/response inference
 *   {p}devices/{id}/results    device → all    inference results
 */
import { ValidationError } from '../errors';

export const DEFAULT_PREFIX = 'tinyml/';

const ID_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const DEPLOY_ID_RE = /^[0-9a-f]{8}$/;

/** Device and group ids: safe as one topic level (no wildcards, no slash). */
export function isValidId(id: string): boolean {
  return ID_RE.test(id);
}

export function isValidDeployId(id: string): boolean {
  return DEPLOY_ID_RE.test(id);
}

export function normalizePrefix(prefix: string | undefined): string {
  const p = prefix ?? DEFAULT_PREFIX;
  if (p === '') return '';
  // [MQTT-4.7.1-1]: wildcards are not allowed in a topic name we publish to.
  if (/[#+]/.test(p) || p.includes('\u0000')) {
    throw new ValidationError(`topic prefix "${p}" must not contain MQTT wildcards (+, #)`);
  }
  return p.endsWith('/') ? p : `${p}/`;
}

export class Topics {
  readonly prefix: string;
  constructor(prefix?: string) {
    this.prefix = normalizePrefix(prefix);
  }
  device(id: string): string {
    return `${this.prefix}devices/${id}`;
  }
  status(id: string): string {
    return `${this.device(id)}/status`;
  }
  offer(id: string): string {
    return `${this.device(id)}/offer`;
  }
  chunk(id: string): string {
    return `${this.device(id)}/chunk`;
  }
  fanout(deployId: string): string {
    return `${this.prefix}deploys/${deployId}/chunk`;
  }
  progress(id: string): string {
    return `${this.device(id)}/progress`;
  }
  cmd(id: string): string {
    return `${this.device(id)}/cmd`;
  }
  reply(id: string): string {
    return `${this.device(id)}/reply`;
  }
  infer(id: string): string {
    return `${this.device(id)}/infer`;
  }
  results(id: string): string {
    return `${this.device(id)}/results`;
  }
  allStatus(): string {
    return `${this.prefix}devices/+/status`;
  }
  allProgress(): string {
    return `${this.prefix}devices/+/progress`;
  }
  allResults(): string {
    return `${this.prefix}devices/+/results`;
  }
  /** The device id of a topic under devices/{id}/..., if it is one. */
  deviceOf(topic: string): string | undefined {
    const head = `${this.prefix}devices/`;
    if (!topic.startsWith(head)) return undefined;
    const id = topic.slice(head.length).split('/')[0];
    return isValidId(id) ? id : undefined;
  }
  /** The last level of a device topic ("status", "progress", ...). */
  kindOf(topic: string): string | undefined {
    const id = this.deviceOf(topic);
    if (!id) return undefined;
    const rest = topic.slice(this.device(id).length + 1);
    return rest.includes('/') ? undefined : rest;
  }
}
