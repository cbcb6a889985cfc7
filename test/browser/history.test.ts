/**
 * The panel's Revisions page and the api.listen confirm-or-revert banner, in a real browser
 * against a daemon whose listeners follow api.listen (no --listen; confirm within 10 s):
 * a priority changed in the panel shows up as a revision with its diff and is rolled back;
 * a rollback after someone else's change is refused (412) and offered for reload; a rollback
 * that changes api.listen shows a countdown and "Keep this change", which keeps it; confirmed
 * elsewhere, the banner says it was kept; left alone, the countdown ends, the daemon puts
 * api.listen back and the page reads it again.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { axe, Daemon, shot, suite, until, type Watched } from "./rig.ts";

let daemon: Daemon;
let main: Watched;
let self: string;
const { skip } = await suite({ followListen: true, confirmS: 10 }, (s) => {
  ({ daemon, main } = s);
  self = new URL(daemon.base).host;
});

interface Revision {
  revision: number;
  author: string;
  summary: string;
}

const revisions = async () => (await daemon.api<{ revisions: Revision[] }>("GET", "/config/revisions")).data.revisions;
const config = async () => (await daemon.api<{ api?: { listen?: string[] }; wans: Record<string, { priority?: number }> }>("GET", "/config")).data;
const revRow = (page: Page, rev: number) => page.locator(`li.rev[data-rev="${rev}"]`);
const notice = (page: Page) => page.getByTestId("rev-notice").innerText();
const banner = (page: Page) => page.getByTestId("confirm-banner");

async function answers(host: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}/api/v1/auth/whoami`);
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

test("revisions: a priority changed in the panel is a new revision with its diff; rolled back, it is as before", { skip }, async () => {
  const page = main.page;
  const before = (await config()).wans.repeater.priority;
  assert.equal(before, 2, "the demo config has Repeater second");
  const first = (await revisions())[0].revision;
  await page.getByRole("button", { name: "Move Repeater up" }).click();
  await page.getByRole("button", { name: "Apply" }).click();
  await until("applied", 10_000, async () => /Applied/.test(await page.getByTestId("notice").innerText()));
  assert.equal((await config()).wans.repeater.priority, 1, "the panel applied the new priority");

  await page.getByRole("link", { name: "Revisions" }).click();
  const changed = first + 1;
  await revRow(page, changed).waitFor();
  assert.match(await revRow(page, changed).innerText(), /current/, "the new revision is the current one");
  assert.match(await revRow(page, changed).innerText(), /session:admin/, "its author is the panel's session");
  assert.match(await revRow(page, changed).innerText(), /priority/, "its summary names what changed");

  await revRow(page, first).getByRole("button", { name: `Changes since ${first}` }).click();
  const row = page.locator("table.diff tr", { hasText: "wans › repeater › priority" });
  await row.waitFor();
  assert.deepEqual(await row.locator("td").allInnerTexts(), ["2", "1"], "the diff shows old and new priority");
  assert.match(await page.locator("#h-diff").innerText(), new RegExp(`from revision ${first} to ${changed}`));
  await shot(page, "20-revisions-diff");
  const serious = (await axe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(serious, [], "axe: no serious violation on the revisions page");

  await revRow(page, first).getByRole("button", { name: `Roll back to ${first}` }).click();
  await page.getByRole("button", { name: `Yes, roll back to ${first}` }).click();
  await until("rolled back", 10_000, async () => /Rolled back to revision/.test(await notice(page)));
  assert.equal((await config()).wans.repeater.priority, 2, "the priority is back");
  const top = (await revisions())[0];
  assert.equal(top.revision, changed + 1);
  assert.equal(top.summary, `rollback to ${first}`);
  await revRow(page, top.revision).waitFor();

  await page.getByRole("link", { name: "Multi-WAN" }).click();
  await until("order back", 10_000, async () =>
    (await page.locator("ol.priority > li").first().getAttribute("data-row")) === "ethernet");
  assert.deepEqual(main.problems, []);
});

test("revisions: a rollback after someone else's change is refused (412), nothing rolled back, offered for reload", { skip }, async () => {
  const page = main.page;
  await page.goto(`${daemon.base}/#/revisions`);
  const list = await revisions();
  const target = list[list.length - 1].revision;
  await revRow(page, list[0].revision).waitFor();
  const theirs = await daemon.api("PATCH", "/config", { wans: { cellular: { label: "Their LTE" } } }, { "content-type": "application/merge-patch+json" });
  assert.equal(theirs.status, 200);
  await revRow(page, target).getByRole("button", { name: `Roll back to ${target}` }).click();
  await page.getByRole("button", { name: `Yes, roll back to ${target}` }).click();
  await until("conflict reported", 10_000, async () => /changed the settings since/.test(await notice(page)));
  assert.equal((await revisions())[0].revision, list[0].revision + 1, "only their change was made");
  assert.equal(((await config()).wans as Record<string, { label?: string }>).cellular.label, "Their LTE", "their change stays");
  await page.getByRole("button", { name: "Reload revisions" }).click();
  await revRow(page, list[0].revision + 1).waitFor();
  assert.match(await revRow(page, list[0].revision + 1).innerText(), /current/);
});

test("api.listen: a rollback that changes it shows a countdown; Keep this change keeps it; confirmed elsewhere it says so; left alone it is put back and reloaded", { skip }, async () => {
  const page = main.page;
  const other = `127.0.0.1:${await Daemon.freePort()}`;
  // Made elsewhere and confirmed: a revision listening on both, then one on this address only.
  for (const listen of [[self, other], [self]]) {
    assert.equal((await daemon.api("PATCH", "/config", { api: { listen } }, { "content-type": "application/merge-patch+json" })).status, 200);
    assert.equal((await daemon.api("POST", "/config/confirm")).status, 200);
  }
  const list = await revisions();
  const both = list[1].revision;
  assert.deepEqual((await daemon.api<{ api: { listen: string[] } }>("GET", `/config/revisions/${both}`)).data.api.listen, [self, other]);
  assert.equal(await answers(other), false, "the other address is closed again");

  await page.reload();
  await revRow(page, list[0].revision).waitFor();
  await revRow(page, both).getByRole("button", { name: `Roll back to ${both}` }).click();
  await page.getByRole("button", { name: `Yes, roll back to ${both}` }).click();
  await banner(page).waitFor();
  assert.match(await banner(page).innerText(), new RegExp(`now listen on.*${other.replace(/\./g, "\\.")}`));
  assert.equal(await banner(page).getByRole("link", { name: other }).getAttribute("href"), `http://${other}/`);
  const t1 = Number((await page.getByTestId("countdown").innerText()).replace(/\D/g, ""));
  assert.ok(t1 > 0 && t1 <= 10, `a countdown within confirmS: ${t1}`);
  await until("the countdown runs", 3000, async () => Number((await page.getByTestId("countdown").innerText()).replace(/\D/g, "")) < t1);
  assert.equal(await answers(other), true, "the new address listens while it waits");
  await shot(page, "21-listen-confirm");
  const serious = (await axe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(serious, [], "axe: no serious violation with the confirm banner");
  await page.setViewportSize({ width: 375, height: 800 });
  await shot(page, "22-listen-confirm-phone", false);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, "no horizontal overflow at 375 px");
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole("button", { name: "Keep this change" }).click();
  await until("kept", 10_000, async () => /Kept: the API and this panel listen on/.test(await banner(page).innerText()));
  assert.deepEqual((await daemon.api<{ pending: unknown }>("GET", "/config/confirm")).data.pending, null, "nothing waits any more");
  assert.deepEqual((await config()).api?.listen, [self, other]);
  assert.equal(await answers(other), true, "kept: the new address stays");
  await page.getByRole("button", { name: "Dismiss" }).click();

  // Roll back to this address only and confirm it elsewhere (the CLI): the banner says it was kept.
  const only = list[0].revision;
  await revRow(page, only).getByRole("button", { name: `Roll back to ${only}` }).click();
  await page.getByRole("button", { name: `Yes, roll back to ${only}` }).click();
  await banner(page).getByRole("button", { name: "Keep this change" }).waitFor();
  assert.equal((await daemon.api("POST", "/config/confirm")).status, 200);
  await until("kept elsewhere", 8000, async () => /Kept: the API and this panel listen on/.test(await banner(page).innerText()), 250);
  await page.getByRole("button", { name: "Dismiss" }).click();

  // Roll back to both addresses again, and let the countdown end.
  const rev = (await revisions())[0].revision;
  await revRow(page, both).getByRole("button", { name: `Roll back to ${both}` }).click();
  await page.getByRole("button", { name: `Yes, roll back to ${both}` }).click();
  await banner(page).getByRole("button", { name: "Keep this change" }).waitFor();
  await until("put back", 15_000, async () => /Not confirmed in time/.test(await banner(page).innerText()), 250);
  const top = (await revisions())[0];
  assert.equal(top.revision, rev + 2, "the rollback, then the daemon's revert");
  assert.match(top.summary, /api\.listen reverted/);
  assert.deepEqual((await config()).api?.listen, [self], "api.listen is back");
  assert.equal(await answers(other), false, "the other address closed again");
  await until("the page read the settings again", 10_000, async () => /current/.test(await revRow(page, top.revision).innerText()));
  assert.deepEqual(main.problems, []);
});
