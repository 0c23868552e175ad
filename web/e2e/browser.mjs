// Drives the production site in headless Chromium (playwright-core, Debian's chromium) through one
// scenario file and writes what it saw as JSON; tests/test_site.py builds the site, serves it,
// writes the inputs and the Python model's expected outputs, runs this and asserts.
//
// Usage: node web/e2e/browser.mjs URL SCENARIO.json OUT_DIR
// SCENARIO: {"page": "examples/minimal.html", "query": "?backend=webgl", "init": [JS, ...], "corrupt": [GLOB, ...], "block": [GLOB, ...], "viewport": {...}, "flags": [CHROMIUM_FLAG, ...],
//            "steps": [{"upload": FILE} | {"style": ID} | {"await": "done"|"error"|"settled"} | {"wait": MS}
//            | {"save": NAME} | {"download": NAME} | {"square": NAME} | {"screenshot": NAME}
//            | {"eval": JS_FUNCTION, "as": KEY} | ... (see below)]}
// An action step waits until no photo painting is in flight first, unless it has "now": true.
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [url, scenarioPath, outDir] = process.argv.slice(2);
const scenario = JSON.parse(readFileSync(scenarioPath, 'utf8'));
const origin = new URL(url).origin;
const report = { requests: [], foreign: [], statuses: [], console: [], saved: {}, downloads: {} };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--disable-quic', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist',
    // A fake camera playing a y4m file the test made; the permission prompt accepted unless the scenario refuses it.
    ...(scenario.camera ? ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${scenario.camera}`] : []),
    ...(scenario.camera && !scenario.refuseCamera ? ['--use-fake-ui-for-media-stream'] : []),
    // e.g. --enable-unsafe-webgpu: a software WebGPU adapter (on which graph models fail here)
    ...(scenario.flags || [])],
  timeout: 60_000,
});
try {
  const context = await browser.newContext({ acceptDownloads: true, viewport: scenario.viewport || { width: 1200, height: 900 },
    // "touch": a phone: touch events and a mobile viewport
    ...(scenario.touch ? { hasTouch: true, isMobile: true } : {}),
    // "colorScheme": 'dark' or 'light', as prefers-color-scheme reports it
    ...(scenario.colorScheme ? { colorScheme: scenario.colorScheme } : {}),
    // page.route cannot see what a service worker fetches: scenarios that damage responses block it.
    serviceWorkers: scenario.corrupt || scenario.block ? 'block' : 'allow' });
  // Scripts run in the page before its own (e.g. to capture WebGL contexts or mimic a smaller GPU).
  for (const script of scenario.init || []) await context.addInitScript(script);
  const page = await context.newPage();
  if (scenario.refuseCamera) {
    // Refused outright, as when a visitor has blocked the camera for the site: without this, whether
    // headless Chromium refuses or leaves its unanswered prompt pending depends on the build.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Browser.setPermission', { permission: { name: 'camera' }, setting: 'denied', origin });
  }
  page.on('request', (r) => {
    report.requests.push(r.url());
    const u = new URL(r.url());
    if (!['data:', 'blob:'].includes(u.protocol) && u.origin !== origin) report.foreign.push(r.url());
  });
  page.on('console', (m) => report.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => report.console.push(`pageerror: ${e.message}`));
  for (const pattern of scenario.block || []) { // as if the server (or a cache, offline) had no such file
    await page.route(pattern, (route) => route.fulfill({ status: 404, body: 'not found' }));
  }
  for (const pattern of scenario.corrupt || []) {
    // Serve a damaged copy: same length, one byte flipped (what a broken cache or proxy could do).
    await page.route(pattern, async (route) => {
      const response = await route.fetch();
      const body = Buffer.from(await response.body());
      body[Math.min(100, body.length - 1)] ^= 0xff;
      await route.fulfill({ response, body });
    });
  }
  await page.goto(url + (scenario.page || '') + (scenario.query || '')); // "page": a path under the site, e.g. examples/minimal.html
  await page.waitForSelector('.style', { timeout: 120_000 });
  const status = () => page.textContent('[data-testid=status]', { timeout: 300_000 }); // the page may be busy painting
  const seq = async () => Number(await page.getAttribute('[data-testid=status]', 'data-seq'));
  let since = await seq(); // an await waits for a message newer than the last action
  // Nothing in flight on the photo page, and its painting is for the current settings (the page says so).
  const idle = () => page.waitForFunction(() => document.querySelector('[data-testid=result]')?.dataset.settled === 'true',
    null, { timeout: 300_000, polling: 50 });
  for (const step of scenario.steps) {
    if (!step.await && !step.save && !step.screenshot && !(step.eval && !step.action) && !step.waitsw && !step.focus && !step.wait
      && step.frames === undefined && step.more_frames === undefined && !step.download_link && step.offline === undefined) {
      // An action: first let any painting under way finish (unless the step acts mid-painting on purpose,
      // "now": true), so that its message cannot land after `since` and pass for the action's own.
      if (!step.now) await idle();
      since = await seq();
    }
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
    } else if (step.mode) {
      await page.click(`[data-mode=${step.mode}]`);
    } else if (step.video_file) {
      await page.setInputFiles('[data-testid=video-file]', step.video_file);
    } else if (step.video_size) {
      await page.selectOption('[data-testid=video-size]', String(step.video_size));
    } else if (step.frames !== undefined || step.more_frames !== undefined) {
      // live mode: wait until at least this many frames have been painted (in all, or from now)
      const count = () => page.evaluate(() => Number(document.querySelector('[data-testid=live-stats]')?.dataset.frames));
      const n = step.frames ?? (await count()) + step.more_frames;
      await page.waitForFunction((k) => Number(document.querySelector('[data-testid=live-stats]')?.dataset.frames) >= k,
        n, { timeout: step.timeout || 300_000, polling: 100 });
    } else if (step.download_link) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(step.download_link)]);
      await download.saveAs(join(outDir, step.as));
      report.downloads[step.as] = { file: step.as, suggested: download.suggestedFilename() };
    } else if (step.blend !== undefined) {
      await page.fill('[data-testid=blend]', String(step.blend));
    } else if (step.where) {
      await page.selectOption('[data-testid=mix-where]', step.where);
    } else if (step.drag) {
      // a stroke through points given as fractions of the element's width and height: a brush stroke on
      // the region canvas, or with "on": "compare" the before/after divider dragged on the picture
      const target = `[data-testid=${step.on || 'mask'}]`;
      await page.locator(target).scrollIntoViewIfNeeded();
      const box = await page.locator(target).boundingBox();
      const at = ([fx, fy]) => [box.x + fx * box.width, box.y + fy * box.height];
      await page.mouse.move(...at(step.drag[0]));
      await page.mouse.down();
      for (const point of step.drag.slice(1)) await page.mouse.move(...at(point), { steps: 8 });
      await page.mouse.up();
    } else if (step.blend_with !== undefined) {
      await page.selectOption('[data-testid=blend-with]', step.blend_with);
    } else if (step.focus) {
      await page.focus(step.focus);
    } else if (step.press) {
      await page.keyboard.press(step.press);
    } else if (step.click) {
      await page.click(step.click);
    } else if (step.tap) {
      await page.tap(step.tap);
    } else if (step.axe) {
      // axe-core's accessibility rules on the page as it is now: what it violates, with the impact
      // (evaluated, not added as a script tag, which the page's Content-Security-Policy refuses)
      await page.evaluate(readFileSync(join(process.cwd(), 'node_modules/axe-core/axe.min.js'), 'utf8'));
      report[step.axe] = await page.evaluate(async () => (await window.axe.run(document)).violations.map(
        (v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) })));
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
      // a square larger than the painting is painted first: give it the time a painting gets
      const [download] = await Promise.all([page.waitForEvent('download', { timeout: step.timeout || 300_000 }), page.click(`text=${label}`)]);
      const name = step.download || step.square;
      await download.saveAs(join(outDir, `${name}.png`));
      report.downloads[name] = { file: `${name}.png`, suggested: download.suggestedFilename() };
    } else if (step.screenshot) {
      await page.screenshot({ path: join(outDir, `${step.screenshot}.png`), fullPage: true });
    } else if (step.eval) {
      const value = await page.evaluate(`(${step.eval})()`);
      if (step.push) (report[step.push] ||= []).push(value);
      else report[step.as] = value;
    }
  }
  report.finalStatus = await status();
} catch (error) {
  report.error = String(error && error.stack || error);
} finally {
  writeFileSync(join(outDir, 'report.json'), JSON.stringify(report, null, 1));
  await browser.close().catch(() => {});
}
