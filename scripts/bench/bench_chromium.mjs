// Times graph models inside headless Chromium (Debian's chromium, playwright-core) on one backend:
// scripts/bench/bench_chromium.py writes the page and the models into a folder and serves it; this opens
// the page, which runs the timings itself and leaves JSON in window.benchResult.
//
// Usage: node scripts/bench/bench_chromium.mjs URL   (prints the page's JSON result on one line)
import { chromium } from 'playwright-core';

const [url] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--disable-quic', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  timeout: 60_000,
});
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => window.benchResult || window.benchError, null, { timeout: 900_000, polling: 500 });
  const result = await page.evaluate(() => window.benchResult || { error: window.benchError });
  if (errors.length) result.pageErrors = errors;
  console.log(JSON.stringify(result));
} finally {
  await browser.close().catch(() => {});
}
