/**
 * A TCP relay between a device and its broker that a test can cut, as a
 * Wi-Fi drop would: every open connection is destroyed at once (the broker
 * sees the socket close and publishes the device's Last Will), and new
 * connections are relayed again. It counts the bytes flowing to the device
 * and can cut once when they pass a mark, so the cut lands mid-transfer.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private readonly server: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  /** Bytes relayed broker → device. */
  downstream = 0;
  cuts = 0;
  private cutAt: number | undefined;
  port = 0;

  constructor(private readonly upstreamPort: number) {
    this.server = createServer((device) => {
      const broker = connect(this.upstreamPort, '127.0.0.1');
      const pair: [Socket, Socket] = [device, broker];
      this.pairs.add(pair);
      const drop = () => {
        device.destroy();
        broker.destroy();
        this.pairs.delete(pair);
      };
      device.on('error', drop).on('close', drop);
      broker.on('error', drop).on('close', drop);
      device.pipe(broker);
      broker.on('data', (d: Buffer) => {
        this.downstream += d.length;
        device.write(d);
        if (this.cutAt !== undefined && this.downstream >= this.cutAt) {
          this.cutAt = undefined;
          this.cut();
        }
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Cuts once, when `bytes` more have gone to the device. */
  cutAfter(bytes: number): void {
    this.cutAt = this.downstream + bytes;
  }

  cut(): void {
    this.cuts++;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
