/**
 * A train node's loss curve, published to the editor over Node-RED's comms
 * channel (RED.comms.publish, retained) on `tinyml/training/{nodeId}`, where
 * the TinyML sidebar tab draws it. The whole history goes in every update
 * (150 epochs of the sine preset are ~3 KB of JSON), so an editor that opens
 * mid-training gets the full curve from the retained message. Updates are
 * throttled to one per 250 ms: training the sine preset runs ~50 epochs/s.
 */
export const TRAINING_TOPIC = 'tinyml/training/';

export interface TrainingUpdate {
  id: string;
  name: string;
  state: 'training' | 'done' | 'failed';
  epoch: number;
  epochs: number;
  loss: number[];
  valLoss: number[];
  error?: string;
  ts: number;
}

type Publish = (topic: string, data: unknown, retain: boolean) => void;

export class TrainingFeed {
  private update: TrainingUpdate;
  private lastSent = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly publish: Publish,
    id: string,
    name: string,
    private readonly intervalMs = 250,
  ) {
    this.update = {
      id,
      name,
      state: 'training',
      epoch: 0,
      epochs: 0,
      loss: [],
      valLoss: [],
      ts: 0,
    };
  }

  start(): void {
    this.update = { ...this.update, state: 'training', epoch: 0, epochs: 0, loss: [], valLoss: [] };
    delete this.update.error;
    this.flush();
  }

  epoch(p: { epoch: number; epochs: number; loss: number; valLoss?: number }): void {
    this.update.epoch = p.epoch;
    this.update.epochs = p.epochs;
    this.update.loss.push(p.loss);
    if (p.valLoss !== undefined) this.update.valLoss.push(p.valLoss);
    const wait = this.lastSent + this.intervalMs - Date.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  finish(error?: string): void {
    this.update.state = error ? 'failed' : 'done';
    if (error) this.update.error = error;
    this.flush();
  }

  /** Clears the retained curve when the node is deleted. */
  remove(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.publish(TRAINING_TOPIC + this.update.id, { id: this.update.id, removed: true }, false);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastSent = Date.now();
    this.update.ts = this.lastSent;
    const u = this.update;
    this.publish(TRAINING_TOPIC + u.id, { ...u, loss: [...u.loss], valLoss: [...u.valLoss] }, true);
  }
}
