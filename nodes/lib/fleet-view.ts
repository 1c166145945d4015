/**
 * What the TinyML sidebar shows about a fleet, built from the messages
 * devices publish (docs/protocol.md): retained status (presence, profile,
 * model and version), deploy state (progress of a delivery) and results.
 * Pure: no MQTT and no Node-RED here, so it is tested on its own.
 *
 * Every payload comes from the network and is validated (ajv) against a view
 * schema that names only the fields shown; the protocol may add fields
 * without breaking the view, and anything malformed is counted and dropped.
 */
import { ajv } from '../../src/util/validate';
import { Topics } from '../../src/fleet/topics';

/** Results kept per device: enough for a sparkline, small enough to send often. */
export const RESULTS_KEPT = 8;
/** Devices kept per fleet: the view is a summary; bigger fleets belong in a dashboard. */
export const DEVICES_KEPT = 500;

const id = { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' };
const modelRef = {
  type: 'object',
  required: ['name', 'version'],
  properties: {
    name: { type: 'string', maxLength: 256 },
    version: { type: 'string', maxLength: 64 },
  },
};

const statusSchema = {
  type: 'object',
  required: ['online'],
  properties: {
    online: { type: 'boolean' },
    profile: { type: 'string', maxLength: 32 },
    group: id,
    model: { anyOf: [{ type: 'null' }, modelRef] },
    capabilities: {
      type: 'object',
      properties: {
        arenaBytes: { type: 'number' },
        flashBytes: { type: 'number' },
        maxPacket: { type: 'number' },
      },
    },
  },
};

const deployStateSchema = {
  type: 'object',
  required: ['state'],
  properties: {
    state: { type: 'string', maxLength: 32 },
    received: { type: 'integer', minimum: 0 },
    chunks: { type: 'integer', minimum: 0 },
    error: { type: 'string', maxLength: 1024 },
  },
};

const resultSchema = {
  type: 'object',
  properties: {
    model: { anyOf: [{ type: 'null' }, modelRef] },
    outputs: {
      type: 'array',
      maxItems: 64,
      items: {
        type: 'object',
        properties: { data: { type: 'array' } },
      },
    },
    label: { type: 'string', maxLength: 256 },
    score: { type: 'number' },
    latencyMs: { type: 'number' },
    error: { type: 'string', maxLength: 1024 },
  },
};

interface StatusMsg {
  online: boolean;
  profile?: string;
  group?: string;
  model?: { name: string; version: string } | null;
  capabilities?: { arenaBytes?: number; flashBytes?: number; maxPacket?: number };
}
interface DeployStateMsg {
  state: string;
  received?: number;
  chunks?: number;
  error?: string;
}
interface ResultMsg {
  model?: { name: string; version: string } | null;
  outputs?: { data?: unknown[] }[];
  label?: string;
  score?: number;
  latencyMs?: number;
  error?: string;
}

const checkStatus = ajv.compile<StatusMsg>(statusSchema);
const checkDeployState = ajv.compile<DeployStateMsg>(deployStateSchema);
const checkResult = ajv.compile<ResultMsg>(resultSchema);

export interface ResultView {
  /** A short text: the label, or the first output values. */
  value: string;
  score?: number;
  latencyMs?: number;
  error?: string;
  ts: number;
}

export interface DeviceView {
  id: string;
  online: boolean;
  profile?: string;
  group?: string;
  model?: { name: string; version: string } | null;
  arenaBytes?: number;
  flashBytes?: number;
  deploy?: { state: string; received?: number; chunks?: number; error?: string; ts: number };
  results: ResultView[];
  seen: number;
}

export interface FleetSnapshot {
  fleet: string;
  name: string;
  broker: string;
  connected: boolean;
  devices: DeviceView[];
  counts: { devices: number; online: number };
  dropped: number;
}

function parse(payload: Buffer | string): unknown {
  try {
    return JSON.parse(payload.toString());
  } catch {
    return undefined;
  }
}

function summarize(r: ResultMsg): string {
  if (r.error) return 'error';
  if (r.label !== undefined) return r.label;
  const data = r.outputs?.[0]?.data ?? [];
  const nums = data
    .slice(0, 3)
    .map((v) => (typeof v === 'number' ? Number(v.toPrecision(4)) : '?'));
  return nums.join(', ') + (data.length > 3 ? ', ...' : '');
}

export class FleetView {
  readonly topics: Topics;
  private readonly devices = new Map<string, DeviceView>();
  private dropped = 0;
  connected = false;

  constructor(
    readonly fleet: string,
    readonly name: string,
    readonly broker: string,
    prefix?: string,
    private readonly now: () => number = Date.now,
  ) {
    this.topics = new Topics(prefix);
  }

  /** The MQTT topic filters whose messages apply() understands. */
  filters(): string[] {
    const p = this.topics.prefix;
    return [`${p}devices/+/status`, `${p}devices/+/deploy/state`, `${p}devices/+/results`];
  }

  /** Applies one message; returns whether the view changed. */
  apply(topic: string, payload: Buffer | string): boolean {
    const deviceId = this.topics.deviceOf(topic);
    if (!deviceId) return false;
    const kind = topic.slice(this.topics.device(deviceId).length + 1);
    if (kind !== 'status' && kind !== 'deploy/state' && kind !== 'results') return false;
    if (kind === 'status' && payload.length === 0) {
      // An empty retained message clears the device (MQTT 3.1.1 §3.3.1.3).
      return this.devices.delete(deviceId);
    }
    const msg = parse(payload);
    const ts = this.now();
    if (kind === 'status') {
      if (!checkStatus(msg)) return this.drop();
      const d = this.device(deviceId, ts);
      if (!d) return this.drop();
      d.online = msg.online;
      if (msg.profile !== undefined) d.profile = msg.profile;
      if (msg.group !== undefined) d.group = msg.group;
      if (msg.model !== undefined) d.model = msg.model && { ...msg.model };
      if (msg.capabilities?.arenaBytes !== undefined) d.arenaBytes = msg.capabilities.arenaBytes;
      if (msg.capabilities?.flashBytes !== undefined) d.flashBytes = msg.capabilities.flashBytes;
      return true;
    }
    if (kind === 'deploy/state') {
      if (!checkDeployState(msg)) return this.drop();
      const d = this.device(deviceId, ts);
      if (!d) return this.drop();
      d.deploy = { state: msg.state, ts };
      if (msg.received !== undefined) d.deploy.received = msg.received;
      if (msg.chunks !== undefined) d.deploy.chunks = msg.chunks;
      if (msg.error !== undefined) d.deploy.error = msg.error;
      return true;
    }
    if (!checkResult(msg)) return this.drop();
    const d = this.device(deviceId, ts);
    if (!d) return this.drop();
    const r: ResultView = { value: summarize(msg), ts };
    if (msg.score !== undefined) r.score = msg.score;
    if (msg.latencyMs !== undefined) r.latencyMs = msg.latencyMs;
    if (msg.error !== undefined) r.error = msg.error;
    d.results.unshift(r);
    d.results.length = Math.min(d.results.length, RESULTS_KEPT);
    if (msg.model) d.model = { name: msg.model.name, version: msg.model.version };
    d.online = true;
    return true;
  }

  snapshot(): FleetSnapshot {
    const devices = [...this.devices.values()]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((d) => ({ ...d, results: [...d.results] }));
    return {
      fleet: this.fleet,
      name: this.name,
      broker: this.broker,
      connected: this.connected,
      devices,
      counts: { devices: devices.length, online: devices.filter((d) => d.online).length },
      dropped: this.dropped,
    };
  }

  private device(deviceId: string, ts: number): DeviceView | undefined {
    let d = this.devices.get(deviceId);
    if (!d) {
      if (this.devices.size >= DEVICES_KEPT) return undefined;
      d = { id: deviceId, online: false, results: [], seen: ts };
      this.devices.set(deviceId, d);
    }
    d.seen = ts;
    return d;
  }

  private drop(): false {
    this.dropped++;
    return false;
  }
}
