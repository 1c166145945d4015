/**
 * The topic tree, under a configurable prefix (default "tinyml/"). One place
 * builds every topic so the device, the deployer and the nodes agree.
 */
export const DEFAULT_PREFIX = 'tinyml/';

const ID_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/** Device and group ids: safe as one topic level (no wildcards, no slash). */
export function isValidId(id: string): boolean {
  return ID_RE.test(id);
}

export function normalizePrefix(prefix: string | undefined): string {
  const p = prefix ?? DEFAULT_PREFIX;
  if (p === '') return '';
  if (/[#+]/.test(p)) throw new Error(`topic prefix "${p}" must not contain MQTT wildcards`);
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
  /** Retained presence and capabilities; the Last Will overwrites it with offline. */
  status(id: string): string {
    return `${this.device(id)}/status`;
  }
  /** Deployer → device: a deployment manifest (JSON). */
  deploy(id: string): string {
    return `${this.device(id)}/deploy`;
  }
  /** Deployer → device: one binary chunk of deployment `deployId`. */
  chunk(id: string, deployId: string, index: number): string {
    return `${this.device(id)}/deploy/${deployId}/chunk/${index}`;
  }
  /** Device → deployer: progress and final state of a deployment. */
  deployState(id: string): string {
    return `${this.device(id)}/deploy/state`;
  }
  /** → device: run an inference on the input in the message. */
  infer(id: string): string {
    return `${this.device(id)}/infer`;
  }
  /** Device → all: inference results. */
  results(id: string): string {
    return `${this.device(id)}/results`;
  }
  allStatus(): string {
    return `${this.prefix}devices/+/status`;
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
}
