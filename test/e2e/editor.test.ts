/**
 * The editor in a real browser: Debian's Chromium, driven by playwright-core,
 * against Node-RED started as `npm start` starts it (with an empty workspace).
 * What a person does: find the nodes in the palette, drag each onto the
 * canvas, open its dialog, edit and save it, read its help; import every
 * example through Import > Examples; deploy the sine example and see a
 * device's result in the debug sidebar; run the digits example from its
 * inject button and see its accuracy report; export and find no credentials.
 * Screenshots go to test-artifacts/e2e/ (git-ignored).
 *
 * The tests run in order and share one page, as a person's session would.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- code run inside the page sees the editor's untyped globals */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ROOT } from '../helpers/paths';
import { launchChromium, screenshot, screenshotOf, startNodeRed, type NodeRed } from './browser';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  'node-red': { nodes: Record<string, string> };
};
const TYPES = Object.keys(pkg['node-red'].nodes);
const EXAMPLES = readdirSync(join(ROOT, 'flows'))
  .filter((f) => f.endsWith('.json'))
  .sort();

/** The label of an example's tab, as the editor will show it. */
function tabLabel(file: string): string {
  const flow = JSON.parse(readFileSync(join(ROOT, 'flows', file), 'utf8')) as {
    type: string;
    label?: string;
  }[];
  const tab = flow.find((n) => n.type === 'tab');
  assert.ok(tab?.label, `flows/${file} has no tab`);
  return tab.label;
}

const SECRET = 'e2e-secret-pw';

describe('editor in a real browser (Chromium + playwright-core)', function () {
  this.timeout(120000);
  let nr: NodeRed;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async function () {
    this.timeout(90000);
    nr = await startNodeRed();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(nr.url);
    await page.waitForSelector('.red-ui-palette-node[data-palette-type="tinyml-train"]', {
      timeout: 60000,
    });
  });

  after(async () => {
    await browser?.close();
    await nr?.stop();
  });

  /** Waits for a debug sidebar message containing `text`; on timeout, shows Node-RED's output. */
  async function debugMessage(text: string, timeout: number) {
    const msg = page.locator('.red-ui-debug-msg', { hasText: text });
    await msg
      .first()
      .waitFor({ state: 'visible', timeout })
      .catch((err: Error) => {
        throw new Error(`${err.message}\nNode-RED output:\n${nr.output().slice(-4000)}`);
      });
    return msg;
  }

  afterEach(function () {
    if (this.currentTest?.state === 'failed' && page) {
      return screenshot(page, `failed-${this.currentTest.title.replace(/\W+/g, '-')}`);
    }
  });

  it('lists every TinyML node in the palette under TinyML, each with its own icon', async () => {
    const defs = await page.evaluate((types: string[]) => {
      const g = globalThis as any;
      return types.map((t) => {
        const def = g.RED.nodes.getType(t);
        const el = g.document.querySelector(
          `#red-ui-palette-container-TinyML .red-ui-palette-node[data-palette-type="${t}"]`,
        );
        return {
          type: t,
          known: !!def,
          category: def?.category,
          icon: typeof def?.icon === 'function' ? def.icon.call({}) : def?.icon,
          inPalette: !!el && el.offsetParent !== null,
          label: el?.textContent?.trim(),
        };
      });
    }, TYPES);
    for (const d of defs) {
      assert.ok(d.known, `${d.type} is not registered in the editor`);
      if (d.category === 'config') continue;
      assert.equal(d.category, 'TinyML', `${d.type} category`);
      assert.ok(d.inPalette, `${d.type} not visible in the TinyML palette category`);
      assert.ok(d.label && !d.label.includes('.'), `${d.type} palette label "${d.label}"`);
      // Our own SVG for every node, no font-awesome stand-in.
      assert.match(String(d.icon), /^[a-z-]+\.svg$/, `${d.type} icon`);
      const res = await fetch(`${nr.url}icons/node-red-contrib-tinyml/${d.icon}`);
      assert.equal(res.status, 200, `${d.type} icon ${d.icon}`);
      assert.match(await res.text(), /<svg/);
    }
    assert.equal(new Set(defs.map((d) => d.icon)).size, defs.length, 'one icon per node');
    await page.locator('#red-ui-palette-container-TinyML').scrollIntoViewIfNeeded();
    await screenshot(page, 'palette');
    await screenshotOf(page.locator('#red-ui-palette-container-TinyML'), 'palette-tinyml');
    // One picture per palette entry, for the README's node list.
    for (const d of defs.filter((x) => x.category !== 'config')) {
      await screenshotOf(
        page.locator(`.red-ui-palette-node[data-palette-type="${d.type}"]`),
        `node-${d.type.replace(/^tinyml-/, '')}`,
      );
    }
  });

  it('drags each node onto the canvas, edits and saves its dialog, and shows its help', async () => {
    const types = await page.evaluate(
      (all: string[]) =>
        all.filter((t) => (globalThis as any).RED.nodes.getType(t)?.category !== 'config'),
      TYPES,
    );
    let y = 80;
    for (const type of types) {
      await page.dragAndDrop(
        `.red-ui-palette-node[data-palette-type="${type}"]`,
        '#red-ui-workspace-chart',
        { targetPosition: { x: 250, y } },
      );
      y += 70;
      const id = await page.evaluate(() => (globalThis as any).RED.view.selection().nodes?.[0]?.id);
      assert.ok(id, `dropping ${type} created no node`);
      assert.equal(
        await page.evaluate((i: string) => (globalThis as any).RED.nodes.node(i).type, id),
        type,
      );

      await page.dblclick(`[id="${id}"]`);
      const name = page.locator('#node-input-name');
      await name.waitFor({ state: 'visible', timeout: 10000 });
      // Every text of the form (labels, options, hints, placeholders) is
      // translated: no raw i18n key left.
      const form = page.locator('.red-ui-tray form').last();
      const texts = [
        (await form.textContent()) ?? '',
        ...(await form
          .locator('[placeholder]')
          .evaluateAll((els) => els.map((e) => e.getAttribute('placeholder') ?? ''))),
      ];
      for (const t of texts) assert.doesNotMatch(t, /tinyml-[a-z-]+\.[a-z]+\./, `${type}: "${t}"`);
      await name.fill(`e2e ${type}`);
      // A new fleet config node, from the first dialog that shows the fleet
      // field: Node-RED 4.1 has a "+" button for it, 3.x the pencil.
      const add = page.locator('#node-input-btn-fleet-add, #node-input-lookup-fleet').first();
      if (await add.isVisible()) {
        await add.click();
        await page.locator('#node-config-input-broker').waitFor({ state: 'visible' });
        await page.fill('#node-config-input-broker', '${TINYML_BROKER}');
        await page.fill('#node-config-input-username', 'e2e-user');
        await page.fill('#node-config-input-password', SECRET);
        await page.click('#node-config-dialog-ok');
        await page.locator('#node-config-input-broker').waitFor({ state: 'detached' });
      }
      if (type === 'tinyml-train') await screenshot(page, 'dialog-train');
      if (type === 'tinyml-optimize') {
        // Each mode shows its own settings and only those.
        const rows = {
          quantize: '#node-input-quantMode',
          prune: '#node-input-sparsity',
          distill: '#node-input-studentSpec',
        };
        for (const [mode, field] of Object.entries(rows)) {
          await page.selectOption('#node-input-mode', mode);
          for (const [other, f] of Object.entries(rows)) {
            assert.equal(await page.locator(f).isVisible(), other === mode, `${mode}: ${f}`);
          }
          assert.ok(await page.locator(field).isVisible());
        }
        await page.selectOption('#node-input-mode', 'quantize');
        await screenshot(page, 'dialog-optimize');
        await screenshotOf(page.locator('.red-ui-tray').last(), 'dialog-optimize-tray');
      }
      await page.click('#node-dialog-ok');
      await name.waitFor({ state: 'detached', timeout: 10000 });
      const saved = await page.evaluate(
        (i: string) => (globalThis as any).RED.nodes.node(i).name,
        id,
      );
      assert.equal(saved, `e2e ${type}`, `${type} dialog did not save`);
      assert.match((await page.locator(`[id="${id}"]`).textContent()) ?? '', /e2e/);

      await page.evaluate(() => (globalThis as any).RED.sidebar.show('help'));
      const help = page.locator('.red-ui-help:visible');
      await help.first().waitFor({ state: 'visible', timeout: 10000 });
      const text = (await help.first().textContent()) ?? '';
      assert.ok(text.length > 200, `${type} help is ${text.length} characters`);
      // Node-RED's help format: Inputs, Outputs, Details, References.
      for (const section of ['Inputs', 'Outputs', 'Details', 'References']) {
        assert.match(text, new RegExp(section), `${type} help has no ${section} section`);
      }
    }
    await screenshot(page, 'dialogs-saved');
    assert.deepEqual(pageErrors, []);
  });

  it('exports the flow without the fleet credentials', async () => {
    await page.click('#red-ui-header-button-sidemenu');
    await page.click('#menu-item-export');
    await page.locator('#red-ui-clipboard-dialog-export-rng-full').click();
    const text = await page.locator('#red-ui-clipboard-dialog-export-text').inputValue();
    await page.keyboard.press('Escape');
    const flow = JSON.parse(text) as { type: string; credentials?: unknown }[];
    const fleets = flow.filter((n) => n.type === 'tinyml-fleet');
    assert.ok(fleets.length >= 1, 'the export has no tinyml-fleet node');
    assert.ok(!text.includes(SECRET), 'the password is in the exported flow');
    assert.ok(!text.includes('e2e-user'), 'the username is in the exported flow');
    for (const f of fleets) assert.equal(f.credentials, undefined);
  });

  it('imports every example from Import > Examples', async () => {
    // Clear the canvas of the dialog test's nodes, as a person would.
    await page.click('#red-ui-workspace-chart', { position: { x: 30, y: 30 } });
    await page.keyboard.press('Control+a');
    await page.keyboard.press('Delete');
    for (const file of EXAMPLES) {
      const name = file.replace(/\.json$/, '');
      await page.click('#red-ui-header-button-sidemenu');
      await page.click('#menu-item-import');
      const examples = page.locator('#red-ui-clipboard-dialog-import-tab-examples');
      // The dialog opens with an animation: a click during it may not switch tabs.
      for (let i = 0; i < 10 && !(await examples.isVisible()); i++) {
        await page.click('#red-ui-tab-red-ui-clipboard-dialog-import-tab-examples a');
        await page.waitForTimeout(200);
      }
      const module = examples.locator('.red-ui-treeList-label-text', {
        hasText: 'node-red-contrib-tinyml',
      });
      const entry = examples.locator('.red-ui-treeList-label-text', { hasText: name });
      if (!(await entry.isVisible())) await module.click();
      await entry.click();
      await page.locator('#red-ui-clipboard-dialog-ok').click();
      await page.locator('#red-ui-clipboard-dialog').waitFor({ state: 'hidden' });
      await page.locator('#red-ui-header-shade').waitFor({ state: 'hidden' });
      const label = tabLabel(file);
      const tab = page.locator('#red-ui-workspace-tabs .red-ui-tab-label', { hasText: label });
      await tab.waitFor({ state: 'visible', timeout: 10000 });
      await tab.click();
      const check = await page.evaluate((l: string) => {
        const RED = (globalThis as any).RED;
        const ws = RED.nodes.workspace(RED.workspaces.active());
        const nodes: { type: string }[] = [];
        RED.nodes.eachNode((n: any) => {
          if (n.z === ws.id) nodes.push(n);
        });
        return {
          active: ws.label === l,
          count: nodes.length,
          unknown: nodes
            .filter((n: any) => !RED.nodes.getType(n.type) || n.type === 'unknown')
            .map((n) => n.type),
        };
      }, label);
      assert.ok(check.active, `${file}: clicking its tab "${label}" did not show it`);
      assert.ok(check.count >= 5, `${file}: only ${check.count} nodes imported`);
      assert.deepEqual(check.unknown, [], `${file}: unknown node types`);
      await screenshot(page, `example-${name}`);
    }
    assert.deepEqual(pageErrors, []);
  });

  it('deploys the sine example and shows a device result in the debug sidebar', async () => {
    const label = tabLabel('sine-hello-world.json');
    // Click its tab only if it is not showing: a second click soon after the
    // import test's would be a double click, which opens the flow's dialog.
    const active = await page.evaluate(() => {
      const RED = (globalThis as any).RED;
      return RED.nodes.workspace(RED.workspaces.active())?.label;
    });
    if (active !== label) {
      await page.locator('#red-ui-workspace-tabs .red-ui-tab-label', { hasText: label }).click();
    }
    // A modal's shade may still be fading out after the last import.
    await page.locator('#red-ui-header-shade').waitFor({ state: 'hidden' });
    await page.click('#red-ui-header-button-deploy');
    // Node-RED asks before deploying a flow with unused config nodes or warnings.
    const confirm = page.locator('#node-dialog-confirm-deploy-deploy');
    if (await confirm.isVisible({ timeout: 2000 }).catch(() => false)) await confirm.click();
    await page.evaluate(() => (globalThis as any).RED.sidebar.show('debug'));
    const result = await debugMessage('device result', 90000);
    const text = (await result.first().textContent()) ?? '';
    assert.match(text, /sim-1/);
    assert.match(text, /sin/);
    await screenshot(page, 'sine-debug-result');
    await page.evaluate(() => (globalThis as any).RED.sidebar.show('tinyml'));
    // The sidebar lists sim-1 under the example's fleet with the model it now
    // runs and the results it published.
    const device = page.locator(
      '.tinyml-fleet[data-fleet="tinyml_sine_fleet"] .tinyml-device[data-device="sim-1"]',
      { hasText: 'sine v1' },
    );
    await device.waitFor({ state: 'visible', timeout: 15000 });
    await device.locator('.tinyml-result').first().waitFor({ state: 'visible', timeout: 15000 });
    await page.locator('.tinyml-training polyline').first().waitFor({ state: 'attached' });
    await screenshot(page, 'sidebar');
    // The docs show this fleet and its training curve, not the other test fleets.
    await screenshotOf(
      page.locator('.tinyml-fleet[data-fleet="tinyml_sine_fleet"]'),
      'sidebar-fleet',
    );
    await screenshotOf(page.locator('.tinyml-training').first(), 'sidebar-training');
    assert.deepEqual(pageErrors, []);
  });
  it('runs the digits example from its inject button: the accuracy report in debug, the curve in the sidebar', async () => {
    await page
      .locator('#red-ui-workspace-tabs .red-ui-tab-label', {
        hasText: tabLabel('digits-cnn-int8.json'),
      })
      .click();
    await page.evaluate(() => (globalThis as any).RED.sidebar.show('debug'));
    await page.click('[id="tinyml_digits_inject"] .red-ui-flow-node-button-button');
    const report = await debugMessage('accuracy report', 150000);
    assert.match((await report.first().textContent()) ?? '', /heldOutSamples/);
    await page.locator('.red-ui-debug-msg', { hasText: 'digit prediction' }).nth(4).waitFor();
    await screenshot(page, 'digits-report');
    await page.evaluate(() => (globalThis as any).RED.sidebar.show('tinyml'));
    await page
      .locator('.tinyml-training', { hasText: 'train CNN' })
      .locator('polyline')
      .first()
      .waitFor({ state: 'attached' });
    await screenshotOf(
      page.locator('.tinyml-training', { hasText: 'train CNN' }),
      'sidebar-training-digits',
    );
    assert.deepEqual(pageErrors, []);
  });
});
