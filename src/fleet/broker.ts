/**
 * The embedded MQTT broker (aedes) — the zero-setup default for the demo and
 * the tests. It listens on loopback unless told otherwise; production fleets
 * use an external broker (Mosquitto, EMQX, HiveMQ, VerneMQ).
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createBroker } from 'aedes';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function startBroker(port = 1883, host = '127.0.0.1'): Promise<EmbeddedBroker> {
  const aedes = createBroker();
  // No Nagle on the broker's side either (see connectBroker in mqtt.ts).
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    aedes.handle(socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err) => {
      aedes.close();
      reject(err);
    });
    server.listen(port, host, () => {
      const actual = (server.address() as AddressInfo).port;
      resolve({
        url: `mqtt://${host}:${actual}`,
        port: actual,
        close: () =>
          new Promise<void>((done) => {
            aedes.close(() => server.close(() => done()));
          }),
      });
    });
  });
}
