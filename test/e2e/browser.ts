/**
 * What the browser tests need around them: Node-RED started as `npm start`
 * runs it (dist/scripts/start.js, with the embedded broker and the simulated
 * devices sim-1 and sim-esp32) on free ports with a fresh user directory and
 * an empty workspace, and Debian's Chromium driven by playwright-core.
 *
 * Chromium flags: headless as root needs --no-sandbox; the network flags keep
 * Chromium from calling Google's services, which this offline machine
 * refuses (/work/.library/env/machines/node.md, "Known to work").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { ROOT } from '../helpers/paths';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'e2e');

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(
  fn: () => Promise<T | undefined>,
  ms: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface NodeRed {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Node-RED as `npm start` runs it, with an empty workspace. */
export async function startNodeRed(): Promise<NodeRed> {
  const port = await freePort();
  const mqttPort = await freePort();
  const userDir = mkdtempSync(join(tmpdir(), 'tinyml-e2e-'));
  writeFileSync(join(userDir, 'flows.json'), '[]');
  let output = '';
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'scripts', 'start.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      MQTT_PORT: String(mqttPort),
      TINYML_USER_DIR: userDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}/`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`Node-RED exited: ${output}`);
      const res = await fetch(`${url}nodes`, { headers: { Accept: 'application/json' } });
      return res.ok ? true : undefined;
    },
    60000,
    'Node-RED to listen',
  ).catch((err: Error) => {
    child.kill('SIGTERM');
    throw new Error(`${err.message}; output: ${output}`);
  });
  return {
    url,
    child,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** A picture of one part of the page (the palette, a dialog, a sidebar), for the docs. */
export async function screenshotOf(part: Locator, name: string): Promise<void> {
  // Live parts (the sidebar redraws as results arrive) can be replaced while
  // the picture is taken: the locator then finds the new element next time.
  for (let attempt = 1; ; attempt++) {
    try {
      await part.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
      return;
    } catch (err) {
      if (attempt >= 5 || !/not attached to the DOM/.test((err as Error).message)) throw err;
    }
  }
}
