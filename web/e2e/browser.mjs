// Drives the production site in headless Chromium (playwright-core, Debian's chromium) through one
// scenario file and writes what it saw as JSON; tests/test_site.py builds the site, serves it,
// writes the inputs and the Python model's expected outputs, runs this and asserts.
//
// Usage: node web/e2e/browser.mjs URL SCENARIO.json OUT_DIR
// SCENARIO: {"query": "?backend=webgl", "init": [JS, ...], "corrupt": [GLOB, ...], "viewport": {...},
//            "steps": [{"upload": FILE} | {"style": ID} | {"await": "done"|"error"|"settled"} | {"wait": MS}
//            | {"save": NAME} | {"download": NAME} | {"square": NAME} | {"screenshot": NAME}
//            | {"eval": JS_FUNCTION, "as": KEY} | ... (see below)]}
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [url, scenarioPath, outDir] = process.argv.slice(2);
const scenario = JSON.parse(readFileSync(scenarioPath, 'utf8'));
const origin = new URL(url).origin;
const report = { requests: [], foreign: [], statuses: [], console: [], saved: {}, downloads: {} };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--disable-quic', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  timeout: 60_000,
});
try {
  const context = await browser.newContext({ acceptDownloads: true, viewport: scenario.viewport || { width: 1200, height: 900 },
    // page.route cannot see what a service worker fetches: scenarios that damage responses block it.
    serviceWorkers: scenario.corrupt ? 'block' : 'allow' });
  // Scripts run in the page before its own (e.g. to capture WebGL contexts or mimic a smaller GPU).
  for (const script of scenario.init || []) await context.addInitScript(script);
  const page = await context.newPage();
  page.on('request', (r) => {
    report.requests.push(r.url());
    const u = new URL(r.url());
    if (!['data:', 'blob:'].includes(u.protocol) && u.origin !== origin) report.foreign.push(r.url());
  });
  page.on('console', (m) => report.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => report.console.push(`pageerror: ${e.message}`));
  for (const pattern of scenario.corrupt || []) {
    // Serve a damaged copy: same length, one byte flipped (what a broken cache or proxy could do).
    await page.route(pattern, async (route) => {
      const response = await route.fetch();
      const body = Buffer.from(await response.body());
      body[Math.min(100, body.length - 1)] ^= 0xff;
      await route.fulfill({ response, body });
    });
  }
  await page.goto(url + (scenario.query || ''));
  await page.waitForSelector('.style', { timeout: 120_000 });
  const status = () => page.textContent('[data-testid=status]');
  const seq = async () => Number(await page.getAttribute('[data-testid=status]', 'data-seq'));
  let since = await seq(); // an await waits for a message newer than the last action
  for (const step of scenario.steps) {
    if (!step.await && !step.save && !step.screenshot && !step.eval && !step.waitsw && !step.focus && !step.wait
      && step.offline === undefined) since = await seq();
    if (step.upload) {
      await page.setInputFiles('[data-testid=file]', step.upload);
    } else if (step.waitsw) {
      await page.evaluate(async () => {
        const reg = await navigator.serviceWorker.ready;
        if (!navigator.serviceWorker.controller) await new Promise((r) => navigator.serviceWorker.addEventListener('controllerchange', r, { once: true }));
        return reg.active && reg.active.state;
      });
    } else if (step.offline !== undefined) {
      await context.setOffline(step.offline);
    } else if (step.reload) {
      await page.reload();
      await page.waitForSelector('.style', { timeout: 120_000 });
    } else if (step.blend_with !== undefined) {
      await page.selectOption('[data-testid=blend-with]', step.blend_with);
    } else if (step.focus) {
      await page.focus(step.focus);
    } else if (step.press) {
      await page.keyboard.press(step.press);
    } else if (step.click) {
      await page.click(step.click);
    } else if (step.size) {
      await page.selectOption('[data-testid=size]', String(step.size));
    } else if (step.style_file) {
      await page.setInputFiles('[data-testid=style-file]', step.style_file);
    } else if (step.strength !== undefined) {
      await page.fill('input[type=range] >> nth=0', String(step.strength));
    } else if (step.style) {
      await page.click(`[data-style="${step.style}"]`);
    } else if (step.wait) {
      await page.waitForTimeout(step.wait);
    } else if (step.await) {
      // 'done', 'error', or 'settled' (either): the first such message newer than the last action.
      const kinds = step.await === 'settled' ? ['done', 'error'] : [step.await];
      await page.waitForFunction(([ks, n]) => {
        const el = document.querySelector('[data-testid=status]');
        return el && ks.some((k) => el.classList.contains(k)) && Number(el.dataset.seq) > n;
      }, [kinds, since], { timeout: step.timeout || 300_000, polling: 100 });
      const kind = await page.getAttribute('[data-testid=status]', 'class');
      report.statuses.push({ kind: kinds.find((k) => kind.includes(k)), text: await status() });
    } else if (step.save) {
      const pixels = await page.evaluate(() => {
        const c = document.querySelector('[data-testid=output]');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        return { width: c.width, height: c.height, data: Array.from(d.data) };
      });
      writeFileSync(join(outDir, `${step.save}.json`), JSON.stringify(pixels));
      report.saved[step.save] = `${step.save}.json`;
    } else if (step.download || step.square) {
      const label = step.download ? 'Download PNG' : 'Download 1080 × 1080';
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`text=${label}`)]);
      const name = step.download || step.square;
      await download.saveAs(join(outDir, `${name}.png`));
      report.downloads[name] = { file: `${name}.png`, suggested: download.suggestedFilename() };
    } else if (step.screenshot) {
      await page.screenshot({ path: join(outDir, `${step.screenshot}.png`), fullPage: true });
    } else if (step.eval) {
      report[step.as] = await page.evaluate(`(${step.eval})()`);
    }
  }
  report.finalStatus = await status();
} catch (error) {
  report.error = String(error && error.stack || error);
} finally {
  writeFileSync(join(outDir, 'report.json'), JSON.stringify(report, null, 1));
  await browser.close().catch(() => {});
}
