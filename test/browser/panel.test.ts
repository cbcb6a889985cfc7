/**
 * The router panel in a real browser (Debian's Chromium through playwright-core) against the
 * real daemon on the sim world: the eleven scenarios of issue 7, in one daemon and one
 * browser, in an order where each builds on the state the previous one left. Faults are
 * driven through the panel's simulator card or the simulator API. Screenshots of the main
 * states go to test/artifacts/ (git-ignored). Without /usr/bin/chromium it says so loudly
 * and skips.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { axe, Daemon, launchBrowser, login, missingChromium, openPage, PASSWORD, shot, until, type Watched } from "./rig.ts";

const missing = await missingChromium();
if (missing) console.warn(`\n*** skipped: ${missing} ***\n`);
const skip = missing ? `skipped: ${missing}` : undefined;

let daemon: Daemon;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let main: Watched;

interface WanStatus {
  name: string;
  state: string;
  share: number;
  carrying: boolean;
  reason: string;
}

before(async () => {
  if (missing) return;
  daemon = await Daemon.start();
  ({ browser, close: closeBrowser } = await launchBrowser());
  // Enough LAN connections for shares to move quickly.
  const client = await daemon.api("PUT", "/sim/client", { perSecond: 40 });
  assert.equal(client.status, 200, "the simulator API answers");
});

after(async () => {
  if (missing) return;
  await closeBrowser?.();
  await daemon?.close();
});

const row = (page: Page, wan: string) => page.locator(`li.wan[data-wan="${wan}"]`);
const stateOf = (page: Page, wan: string) => row(page, wan).getAttribute("data-state");
const statusOf = async (wan: string) =>
  (await daemon.api<{ wans: WanStatus[] }>("GET", "/status")).data.wans.find((w) => w.name === wan)!;
const priorityOrder = (page: Page) => page.locator("ol.priority > li").evaluateAll((els) => els.map((e) => e.getAttribute("data-row")));

test("1. login: a wrong password is refused with a message; logged out, the API refuses", { skip }, async () => {
  const { page, ctx, problems } = await openPage(browser);
  await page.goto(`${daemon.base}/`);
  await page.locator("#password").fill("not-the-password");
  await page.getByRole("button", { name: "Log in" }).click();
  await assert.doesNotReject(page.locator("#login-error").waitFor());
  assert.match(await page.locator("#login-error").innerText(), /Wrong password/);
  assert.equal(await page.locator("li.wan").count(), 0, "no panel before login");
  const answer = await page.evaluate(async () => (await fetch("/api/v1/status")).status);
  assert.equal(answer, 401, "a logged-out page cannot read the API");
  const write = await page.evaluate(async () =>
    (await fetch("/api/v1/wans/ethernet/actions/down", { method: "POST" })).status
  );
  assert.equal(write, 401, "a logged-out page cannot act either");
  await shot(page, "01-login-wrong-password");
  await page.locator("#password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.locator("li.wan").first().waitFor();
  assert.equal(await page.evaluate(async () => (await fetch("/api/v1/status")).status), 200);
  assert.deepEqual(problems, []);
  await ctx.close();
});

test("2. four uplinks shown green with figures", { skip }, async () => {
  main = await openPage(browser);
  await login(main.page, daemon.base);
  const page = main.page;
  for (const wan of ["ethernet", "repeater", "tethering", "cellular"]) {
    await until(`${wan} green`, 15_000, async () => (await stateOf(page, wan)) === "up");
    assert.equal(await row(page, wan).locator(".state-word").innerText(), "Up");
    assert.match(await row(page, wan).locator(".rtt").innerText(), /^\d+(\.\d)? ms$/, `${wan} shows its RTT`);
    assert.match(await row(page, wan).locator(".loss").innerText(), /^\d+ %$/);
    assert.match(await row(page, wan).locator(".reason").innerText(), /targets answer/);
  }
  assert.match(await row(page, "repeater").innerText(), /CoffeeShop/, "the repeater's status fields (SSID)");
  assert.match(await row(page, "cellular").innerText(), /SimTel/, "the cellular status fields (operator)");
  await until("ethernet carries", 10_000, async () => /carries new connections/.test(await row(page, "ethernet").innerText()));
  // A fresh page has a chart at once (history) and the event timeline fills from the stream.
  await page.locator(".chart .uplot").first().waitFor();
  assert.equal(await page.locator(".chart .uplot").count(), 2);
  await until("timeline", 10_000, async () => (await page.locator(".timeline li").count()) > 0);
  assert.match(await page.locator(".timeline").innerText(), /\d\d:\d\d:\d\d Ethernet up/);
  await shot(page, "02-multi-wan-desktop");
  assert.deepEqual(main.problems, []);
  const origin = new URL(daemon.base).origin;
  assert.deepEqual(main.urls.filter((u) => !u.startsWith(origin) && !u.startsWith("data:")), [], "no request leaves for another host");
});

test("3. pull the Ethernet cable: gray with the reason, traffic on Repeater within 2 s, no reload; restore", { skip }, async () => {
  const page = main.page;
  await page.evaluate(() => ((globalThis as { marker?: number }).marker = 42));
  const sim = page.locator('li.sim-row[data-device="eth1"]');
  const t0 = Date.now();
  await sim.getByRole("button", { name: "Pull the cable" }).click();
  await until("ethernet gray", 2000, async () => (await stateOf(page, "ethernet")) === "down", 50);
  assert.match(await row(page, "ethernet").locator(".reason").innerText(), /no carrier on eth1/);
  await until("repeater carries", 2000 - (Date.now() - t0) + 50, async () => /carries new connections/.test(await row(page, "repeater").innerText()), 50);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed <= 2100, `gray and moved within 2 s (took ${elapsed} ms)`);
  await until("share moves to repeater", 8000, async () => (await statusOf("repeater")).share > 0.3);
  await until("repeater share shown", 4000, async () => !/^0 %/.test(await row(page, "repeater").locator(".share").innerText()));
  assert.match(await page.locator(".timeline").innerText(), /Ethernet down: no carrier on eth1 — new connections on Repeater/);
  await shot(page, "03-ethernet-cable-pulled");
  assert.equal(await page.evaluate(() => (globalThis as { marker?: number }).marker), 42, "no reload happened");
  await sim.getByRole("button", { name: "Restore" }).click();
  // The daemon first, then the page, so that a failure says which of the two lagged.
  await until("ethernet up again in the API", 30_000, async () => {
    const s = await statusOf("ethernet");
    if (s.state !== "up") throw new Error(`API: ${s.state} (${s.reason})`);
    return true;
  });
  await until("ethernet green again on the page", 10_000, async () => {
    const shown = await stateOf(page, "ethernet");
    if (shown !== "up") throw new Error(`page: ${shown}`);
    return true;
  });
  await until("ethernet carries again", 10_000, async () => /carries new connections/.test(await row(page, "ethernet").innerText()));
});

test("7. an invalid value: the error at the field, nothing applied", { skip }, async () => {
  const page = main.page;
  const before = await daemon.api("GET", "/config");
  await row(page, "ethernet").locator("summary", { hasText: "Settings of Ethernet" }).click();
  const count = page.locator("#f-wans-ethernet-tracker-count");
  await count.fill("99");
  await page.getByRole("button", { name: "Apply" }).click();
  await until("field error", 10_000, async () => (await count.getAttribute("aria-invalid")) === "true");
  const describedBy = (await count.getAttribute("aria-describedby")) ?? "";
  const errId = describedBy.split(" ").find((id) => id.endsWith("-err"));
  assert.ok(errId, "the error is tied to the input");
  assert.match(await page.locator(`#${errId}`).innerText(), /10/, "the message names the limit");
  assert.match(await page.getByTestId("notice").innerText(), /nothing was changed/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "f-wans-ethernet-tracker-count", "focus moves to the field");
  await shot(page, "07-invalid-value");
  const afterwards = await daemon.api("GET", "/config");
  assert.equal(afterwards.etag, before.etag, "the config's ETag is unchanged");
  assert.deepEqual(afterwards.data, before.data);
  await page.getByRole("button", { name: "Discard" }).click();
  await until("the draft discarded", 10_000, async () => (await count.inputValue()) === "");
  assert.equal(await count.inputValue(), "");
});

test("9. a change through the API while the form is open: 412 reported, nothing overwritten", { skip }, async () => {
  const page = main.page;
  const label = page.locator("#f-wans-ethernet-label");
  await label.fill("Fibre (panel)");
  const theirs = await daemon.api("PATCH", "/config", { wans: { repeater: { label: "Neighbour Wi-Fi" } } });
  assert.equal(theirs.status, 200);
  await page.getByRole("button", { name: "Apply" }).click();
  await until("conflict reported", 10_000, async () => /changed the settings since you opened/.test(await page.getByTestId("notice").innerText()));
  const cfg = await daemon.api<{ wans: Record<string, { label?: string }> }>("GET", "/config");
  assert.equal(cfg.data.wans.repeater.label, "Neighbour Wi-Fi", "their change stays");
  assert.equal(cfg.data.wans.ethernet.label, "Ethernet", "ours was not written");
  assert.equal(cfg.etag, theirs.etag);
  await shot(page, "09-conflict-412");
  await page.getByRole("button", { name: "Reload settings" }).click();
  await until("reloaded", 10_000, async () => (await label.inputValue()) === "Ethernet");
  await until("their label shown", 10_000, async () => /Neighbour Wi-Fi/.test(await row(page, "repeater").innerText()));
});

test("6. priorities reordered with the keyboard only, applied, kept after reload; drag and drop too", { skip }, async () => {
  const page = main.page;
  assert.deepEqual(await priorityOrder(page), ["ethernet", "repeater", "tethering", "cellular"]);
  // Drag and drop: Tethering onto the first row, then discard.
  await page.locator('ol.priority > li[data-row="tethering"]').dragTo(page.locator('ol.priority > li[data-row="ethernet"]'));
  assert.deepEqual(await priorityOrder(page), ["tethering", "ethernet", "repeater", "cellular"], "drag and drop reorders");
  await page.getByRole("button", { name: "Discard" }).click();
  assert.deepEqual(await priorityOrder(page), ["ethernet", "repeater", "tethering", "cellular"]);
  // Keyboard: focus the Cellular row, Alt+ArrowUp three times, then Tab to Apply and press Enter.
  await page.locator('ol.priority > li[data-row="cellular"]').focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press("Alt+ArrowUp");
  assert.deepEqual(await priorityOrder(page), ["cellular", "ethernet", "repeater", "tethering"]);
  assert.equal(await page.getByTestId("announce").innerText(), "Cellular moved to position 1 of 4.");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("data-row")), "cellular", "focus follows the row");
  // The "Move down" button works from the keyboard as well ("Move up" is disabled at the top).
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "Move Cellular down");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Enter");
  assert.deepEqual(await priorityOrder(page), ["cellular", "ethernet", "repeater", "tethering"]);
  let reached = false;
  for (let i = 0; i < 120 && !reached; i++) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate(() => document.activeElement?.textContent === "Apply");
  }
  assert.ok(reached, "Apply is reachable with Tab");
  await page.keyboard.press("Enter");
  await until("applied", 10_000, async () => /Applied/.test(await page.getByTestId("notice").innerText()));
  await page.reload();
  await page.locator("ol.priority > li").first().waitFor();
  assert.deepEqual(await priorityOrder(page), ["cellular", "ethernet", "repeater", "tethering"], "the order is kept");
  const cfg = await daemon.api<{ wans: Record<string, { priority: number }> }>("GET", "/config");
  assert.deepEqual(
    ["cellular", "ethernet", "repeater", "tethering"].map((n) => cfg.data.wans[n].priority),
    [1, 2, 3, 4],
  );
  await until("cellular carries", 10_000, async () => (await statusOf("cellular")).carrying);
});

test("8. a test-only WAN type registered at start-up gets its generated form; its values are saved", { skip }, async () => {
  const page = main.page;
  const plugins = await daemon.api<{ plugins: { id: string }[] }>("GET", "/plugins");
  assert.ok(plugins.data.plugins.some((p) => p.id === "wan.testonly"), "the test plugin is registered");
  const put = await daemon.api("PUT", "/wans/lab", { type: "wan.testonly", label: "Lab", device: "lab0", enabled: false, priority: 9 });
  assert.equal(put.status, 201, JSON.stringify(put.data));
  await until("lab row", 10_000, async () => (await row(page, "lab").count()) === 1);
  await row(page, "lab").locator("summary", { hasText: "Settings of Lab" }).click();
  const site = page.locator("#f-wans-lab-site");
  const mtu = page.locator("#f-wans-lab-mtu");
  const band = page.locator("#f-wans-lab-band");
  const roaming = page.locator("#f-wans-lab-roaming");
  assert.equal(await page.locator('label[for="f-wans-lab-site"]').innerText(), "Site name");
  assert.equal(await site.getAttribute("placeholder"), "e.g. attic", "x-ui placeholder");
  assert.equal(await mtu.getAttribute("min"), "576");
  assert.equal(await mtu.getAttribute("max"), "9000");
  assert.match(await row(page, "lab").locator(".unit").first().innerText(), /bytes/, "x-ui unit");
  assert.deepEqual(await band.locator("option").allInnerTexts(), ["2.4GHz", "5GHz", "6GHz"]);
  assert.equal(await band.inputValue(), "5GHz", "the default is preselected");
  assert.equal(await roaming.isChecked(), false);
  assert.equal(await page.locator("#f-wans-lab-pin").getAttribute("type"), "password", "writeOnly is a password input");
  const retries = page.locator("#f-wans-lab-retries");
  assert.equal(await retries.getAttribute("type"), "range", "x-ui slider");
  assert.equal(await row(page, "lab").locator('output[for="f-wans-lab-retries"]').innerText(), "2");
  assert.equal(await page.getByRole("radio", { name: "quiet" }).isChecked(), true, "x-ui radio, default chosen");
  await retries.focus();
  await page.keyboard.press("ArrowRight");
  assert.equal(await row(page, "lab").locator('output[for="f-wans-lab-retries"]').innerText(), "3");
  await page.getByRole("radio", { name: "chatty" }).check();
  await site.fill("attic");
  await mtu.fill("99999");
  await band.selectOption("6GHz");
  await roaming.check();
  await page.getByRole("button", { name: "Apply" }).click();
  await until("mtu error", 10_000, async () => (await mtu.getAttribute("aria-invalid")) === "true");
  const unchanged = (await daemon.api<{ wans: Record<string, Record<string, unknown>> }>("GET", "/config")).data.wans.lab;
  assert.equal(unchanged.site, undefined, "nothing applied while a field is invalid");
  await mtu.fill("1400");
  await page.getByRole("button", { name: "Apply" }).click();
  await until("applied", 10_000, async () => /Applied/.test(await page.getByTestId("notice").innerText()));
  const saved = (await daemon.api<{ wans: Record<string, Record<string, unknown>> }>("GET", "/config")).data.wans.lab;
  assert.equal(saved.site, "attic");
  assert.equal(saved.mtu, 1400);
  assert.equal(saved.band, "6GHz");
  assert.equal(saved.roaming, true);
  assert.equal(saved.retries, 3);
  assert.equal(saved.mode, "chatty");
  await shot(page, "08-test-only-plugin-form");
});

test("5. Load Balance with ratios 3:1: percentages live, applied, shares converge towards 75/25", { skip }, async () => {
  const page = main.page;
  await page.getByRole("radio", { name: /Load balance/ }).check();
  await page.locator("#f-wans-ethernet-weight").fill("3");
  await page.locator("#f-wans-repeater-weight").fill("1");
  await page.locator("#f-wans-tethering-priority").fill("2");
  await page.locator("#f-wans-cellular-priority").fill("2");
  const pctOf = (wan: string) => page.locator(`ol.priority > li[data-row="${wan}"] output.pct`).innerText();
  assert.equal(await pctOf("ethernet"), "75 %");
  assert.equal(await pctOf("repeater"), "25 %");
  assert.equal(await pctOf("cellular"), "standby");
  await page.locator("#f-wans-ethernet-weight").fill("1");
  assert.equal(await pctOf("ethernet"), "50 %", "the percentages follow the typing");
  await page.locator("#f-wans-ethernet-weight").fill("3");
  await page.getByRole("button", { name: "Apply" }).click();
  await until("applied", 10_000, async () => /Applied/.test(await page.getByTestId("notice").innerText()));
  const status = await daemon.api<{ mode: { type: string }; plan: { carriers: { wan: string; weight: number }[] } }>("GET", "/status");
  assert.equal(status.data.mode.type, "mode.load-balance");
  assert.deepEqual(status.data.plan.carriers.map((c) => [c.wan, c.weight]).sort(), [["ethernet", 3], ["repeater", 1]]);
  const ratio = async () => {
    const e = await statusOf("ethernet");
    const r = await statusOf("repeater");
    return e.share + r.share > 0 ? e.share / (e.share + r.share) : 0;
  };
  const converged = await until("shares towards 75/25", 25_000, async () => {
    const x = await ratio();
    return x > 0.62 && x < 0.88 ? x : 0;
  }, 500);
  assert.ok(converged > 0.62 && converged < 0.88, `ethernet's part ${converged.toFixed(2)}`);
  await until("panel shows the shares", 10_000, async () => {
    const e = Number.parseInt(await row(page, "ethernet").locator(".share").innerText());
    const r = Number.parseInt(await row(page, "repeater").locator(".share").innerText());
    return e > r && r > 0;
  });
  await shot(page, "05-load-balance");
});

test("4. ISP silent, link up: down within the health settings' time", { skip }, async () => {
  const page = main.page;
  const cfg = (await daemon.api<{ wans: Record<string, { health: Record<string, number>; tracker: Record<string, number> }> }>(
    "GET", "/config?effective=1",
  )).data.wans.ethernet;
  // Worst case: a whole probe interval before the first loss, then `down` failed rounds.
  const budget = cfg.tracker.intervalMs + cfg.health.down * (cfg.health.failureIntervalMs + cfg.tracker.timeoutMs) + 3000;
  const sim = page.locator('li.sim-row[data-device="eth1"]');
  await sim.getByRole("button", { name: "Make the ISP silent" }).click();
  await until("ethernet down", budget, async () => (await stateOf(page, "ethernet")) === "down");
  const s = await statusOf("ethernet");
  assert.equal(s.state, "down");
  assert.doesNotMatch(s.reason, /carrier/, "the link stays up: the probes decide");
  assert.equal(await row(page, "ethernet").locator(".reason").innerText(), s.reason);
  await shot(page, "04-ethernet-isp-silent");
  await daemon.api("POST", "/sim/uplinks/eth1/restore");
  // Back, though maybe amber for a while: the loss window still remembers the silence.
  await until("ethernet back", 20_000, async () => (await stateOf(page, "ethernet")) !== "down");
});

test("10. phone width 375 px: no horizontal overflow, every control reachable", { skip }, async () => {
  const { page, ctx, problems } = await openPage(browser, { width: 375, height: 740, scheme: "dark" });
  await login(page, daemon.base);
  await page.locator(".chart .uplot").first().waitFor();
  for (const s of await page.locator("details").all()) await s.evaluate((d) => ((d as HTMLDetailsElement).open = true));
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `no horizontal overflow (${overflow}px)`);
  const outside = await page.evaluate(() => {
    const bad: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>("button, input, select, textarea, a[href], summary, [tabindex]"))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      if (el.closest(".sr-only, .skip")) continue;
      if (r.left < 0 || r.right > document.documentElement.clientWidth + 1) bad.push(`${el.tagName}#${el.id} ${r.left}-${r.right}`);
    }
    return bad;
  });
  assert.deepEqual(outside, [], "every control lies within the screen");
  await shot(page, "10-phone-375-dark");
  await page.goto(`${daemon.base}/#/tokens`);
  await page.locator("#token-name").waitFor();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));
  await shot(page, "10-phone-375-tokens");
  assert.deepEqual(problems, []);
  await ctx.close();
});

test("tokens page: a token is shown once and can be revoked; wrong new password refused", { skip }, async () => {
  const { page, ctx } = await openPage(browser);
  await login(page, daemon.base);
  await page.goto(`${daemon.base}/#/tokens`);
  await page.locator("#token-name").fill("monitoring");
  await page.locator("#token-role").selectOption("read");
  await page.getByRole("button", { name: "Create token" }).click();
  const secret = await page.locator("#new-token").inputValue();
  assert.ok(secret.length >= 20, "the secret is shown");
  const probe = await fetch(`${daemon.base}/api/v1/status`, { headers: { authorization: `Bearer ${secret}` } });
  await probe.body?.cancel();
  assert.equal(probe.status, 200, "the new read token works");
  await page.getByRole("button", { name: "I have copied it" }).click();
  assert.equal(await page.locator("#new-token").count(), 0, "shown once");
  assert.match(await page.locator("table.tokens").innerText(), /monitoring\s+read/);
  await page.locator("#pw1").fill("short");
  await page.locator("#pw2").fill("short");
  await page.getByRole("button", { name: "Change password" }).click();
  await until("password refused", 10_000, async () => /8/.test(await page.locator("section[aria-labelledby=h-password] .notice").innerText()));
  await shot(page, "tokens-page");
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Revoke monitoring" }).click();
  // One read of the DOM: a locator's innerText would wait for a table that has just gone.
  await until("revoked", 10_000, async () =>
    !/monitoring/.test(await page.evaluate(() => document.querySelector("table.tokens")?.textContent ?? "")));
  const again = await fetch(`${daemon.base}/api/v1/status`, { headers: { authorization: `Bearer ${secret}` } });
  await again.body?.cancel();
  assert.equal(again.status, 401, "the revoked token no longer works");
  await ctx.close();
});

test("11. axe-core: no serious or critical violation on any page, light and dark", { skip }, async () => {
  const found: string[] = [];
  for (const scheme of ["light", "dark"] as const) {
    const { page, ctx } = await openPage(browser, { scheme });
    await page.goto(`${daemon.base}/#/login`);
    await page.locator("#password").waitFor();
    const check = async (where: string) => {
      for (const v of await axe(page)) {
        if (v.impact === "serious" || v.impact === "critical") found.push(`${scheme} ${where}: ${v.id} (${v.impact}) ${v.help} ${v.nodes.join(", ")}`);
      }
    };
    await check("login");
    await login(page, daemon.base);
    await page.locator(".chart .uplot").first().waitFor();
    for (const s of await page.locator("details").all()) await s.evaluate((d) => ((d as HTMLDetailsElement).open = true));
    await check("multi-wan (all settings open)");
    await page.goto(`${daemon.base}/#/tokens`);
    await page.locator("#token-name").waitFor();
    await check("tokens");
    await page.goto(`${daemon.base}/#/revisions`);
    await page.locator("li.rev").first().waitFor();
    const older = page.locator("li.rev button", { hasText: "Changes since" }).first();
    if (await older.count()) {
      await older.click();
      await page.locator("table.diff").waitFor();
    }
    await check("revisions (with a diff)");
    await ctx.close();
  }
  assert.deepEqual(found, []);
});

test("README screenshot: the Multi-WAN page in light, failover", { skip }, async () => {
  await daemon.api("PATCH", "/config", {
    mode: { type: "mode.failover", forcedRefresh: false },
    wans: {
      lab: null,
      ethernet: { priority: 1, weight: 1 },
      repeater: { priority: 2, weight: 1, label: "Repeater" },
      tethering: { priority: 3 },
      cellular: { priority: 4 },
    },
  });
  await daemon.api("PATCH", "/sim/uplinks/usb0", { carrier: false });
  const { page, ctx } = await openPage(browser, { width: 1280, height: 900 });
  await login(page, daemon.base);
  await until("repeater green", 15_000, async () => (await stateOf(page, "repeater")) === "up");
  await until("tethering gray", 10_000, async () => (await stateOf(page, "tethering")) === "down");
  await page.waitForTimeout(2500);
  await shot(page, "readme-multi-wan");
  assert.equal(await page.locator("li.wan").count(), 4);
  await daemon.api("POST", "/sim/uplinks/usb0/restore");
  await ctx.close();
});

test("a daemon restart: the panel says so, asks to log in again (sessions live in memory), then is live again", { skip }, async () => {
  const page = main.page;
  await page.goto(`${daemon.base}/#/`);
  await until("repeater green", 15_000, async () => (await stateOf(page, "repeater")) === "up");
  await page.evaluate(() => ((globalThis as { marker?: number }).marker = 7));
  await daemon.stop();
  await until("reconnecting shown", 10_000, async () => /Reconnecting/.test(await page.locator(".plan").innerText()));
  assert.match(await page.locator(".page > .notice.error").innerText(), /does not answer/);
  await daemon.launch();
  await page.locator("#password").waitFor({ timeout: 15_000 });
  assert.match(await page.locator(".login-card").innerText(), /session ended/);
  await page.locator("#password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await until("live again", 15_000, async () => /Live/.test(await page.locator(".plan").innerText()));
  await until("repeater green after restart", 15_000, async () => (await stateOf(page, "repeater")) === "up");
  await daemon.api("PATCH", "/sim/uplinks/wlan0", { carrier: false });
  try {
    await until("repeater gray", 10_000, async () => (await stateOf(page, "repeater")) === "down");
    await until("the event in the timeline", 10_000, async () =>
      /Repeater down: no carrier on wlan0/.test(await page.locator(".timeline li").first().innerText()));
    assert.equal(await page.evaluate(() => (globalThis as { marker?: number }).marker), 7, "no reload happened");
  } finally {
    await daemon.api("POST", "/sim/uplinks/wlan0/restore");
  }
});

