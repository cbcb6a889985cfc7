/**
 * First load of the router panel in Chromium against the sim daemon: bytes on the wire
 * (gzip, as the browser received them, from the DevTools protocol) for the panel's files and
 * for its API calls, and the time from navigation until the four status dots are green.
 * The browser cache is off, the session cookie already set (the login page is not timed).
 * Run: `node --import tsx bench/panel/first-load.bench.ts [runs]` (needs /usr/bin/chromium).
 * @module
 */
import process from "node:process";
import { Daemon, launchBrowser, login, missingChromium, openPage } from "../../test/browser/rig.ts";

const runs = Number(process.argv[2] ?? 5);
const missing = await missingChromium();
if (missing) {
  console.log(`skipped: ${missing}`);
  process.exit(0);
}

const daemon = await Daemon.start();
const { browser, close } = await launchBrowser();
try {
  const { page, ctx } = await openPage(browser);
  await login(page, daemon.base);
  await page.waitForFunction(() => document.querySelectorAll('li.wan[data-state="up"]').length === 4, undefined, { timeout: 20_000 });
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  const urls = new Map<string, string>();
  let bytes: Record<string, number> = {};
  cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
  cdp.on("Network.loadingFinished", (e) => {
    const url = urls.get(e.requestId) ?? "";
    const path = new URL(url, daemon.base).pathname;
    const kind = path === "/" || path.startsWith("/assets/") ? "panel files" : path === "/api/v1/events" ? "event stream" : "API calls";
    bytes[kind] = (bytes[kind] ?? 0) + e.encodedDataLength;
  });
  const times: number[] = [];
  const sizes: Record<string, number>[] = [];
  for (let i = 0; i < runs; i++) {
    await page.goto("about:blank");
    bytes = {};
    const t0 = performance.now();
    await page.goto(`${daemon.base}/#/`);
    await page.waitForFunction(() => document.querySelectorAll('li.wan[data-state="up"]').length === 4, undefined, { timeout: 20_000 });
    times.push(performance.now() - t0);
    await page.waitForLoadState("networkidle").catch(() => {});
    await page.waitForTimeout(300);
    sizes.push({ ...bytes });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  const kinds = ["panel files", "API calls"];
  console.log(`\nPanel first load, Chromium ${browser.version()}, sim daemon on loopback, cache off, ${runs} runs (median)\n`);
  console.log("| what | value |");
  console.log("|---|---|");
  for (const k of kinds) console.log(`| ${k} on the wire (gzip where served so) | ${kb(median(sizes.map((s) => s[k] ?? 0)))} |`);
  console.log(`| total (without the event stream) | ${kb(median(sizes.map((s) => kinds.reduce((a, k) => a + (s[k] ?? 0), 0))))} |`);
  console.log(`| navigation → four green dots | ${Math.round(median(times))} ms (min ${Math.round(Math.min(...times))}, max ${Math.round(Math.max(...times))}) |`);
  await ctx.close();
} finally {
  await close();
  await daemon.close();
}
