/**
 * The "Routing policy" card in a real browser: the document's `policies` (a record) and
 * `rules` (an ordered list) drawn by the generic schema form from the OpenAPI `Config`
 * schema. A policy and a rule are created and applied; an unknown policy is refused at its
 * field with nothing applied; rules are reordered and removed; every key of the WAN entry
 * schema (family, NAT66, data cap, once the daemon has them) appears in an interface's settings,
 * and every key of the mode entry (sticky, degraded) in the method card.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Page } from "playwright-core";
import { axe, type Daemon, shot, shotOf, suite, until, type Watched } from "./rig.ts";

let daemon: Daemon;
let main: Watched;
const { skip } = await suite({}, (s) => ({ daemon, main } = s));

interface Doc {
  policies?: Record<string, { mode: { type: string }; wans: unknown[] }>;
  rules?: { name: string; match?: Record<string, unknown>; policy: string }[];
}

const card = (page: Page) => page.getByTestId("policy-card");
const config = async () => await daemon.api<Doc>("GET", "/config");
const applied = (page: Page) => until("applied", 10_000, async () => /Applied/.test(await page.getByTestId("notice").innerText()));

test("routing policy: a policy and a rule made in the generated form are applied", { skip }, async () => {
  const page = main.page;
  const schema = (await daemon.api<{ components: { schemas: { Config: { properties: Record<string, unknown> } } } }>("GET", "/openapi.json"))
    .data.components.schemas.Config.properties;
  assert.ok(schema.policies && schema.rules, "the daemon's document schema has policies and rules");
  await card(page).waitFor();
  assert.match(await card(page).innerText(), /Policies[\s\S]*Rules/);

  // A policy: a record entry added by name; its mode starts as the first mode variant.
  await card(page).getByLabel("Name of a new policy").fill("Bad name");
  await card(page).getByRole("button", { name: "Add policy" }).click();
  assert.match(await card(page).locator(".add-row .field-error").innerText(), /not a valid name/, "the name pattern is checked");
  await card(page).getByLabel("Name of a new policy").fill("work");
  await card(page).getByRole("button", { name: "Add policy" }).click();
  const mode = page.locator("#f-policies-work-mode-type");
  await mode.waitFor();
  assert.equal(await mode.inputValue(), "mode.failover");
  await mode.selectOption("mode.load-balance");
  await card(page).getByRole("button", { name: "Add WAN" }).click();
  await page.locator("#f-policies-work-wans-0--kind").selectOption({ label: "Text" });
  await page.locator("#f-policies-work-wans-0-").fill("repeater");
  await card(page).getByRole("button", { name: "Add WAN" }).click();
  await page.locator("#f-policies-work-wans-1--kind").selectOption({ label: "Name, priority, load ratio" });
  await page.locator("#f-policies-work-wans-1-name").fill("tethering");
  await page.locator("#f-policies-work-wans-1-weight").fill("3");

  // A rule: an item of an ordered list.
  await card(page).getByRole("button", { name: "Add rule" }).click();
  await page.locator("#f-rules-0-name").fill("voip");
  await page.locator("#f-rules-0-match-proto").selectOption("udp");
  await page.locator("#f-rules-0-match-dport").fill("5060");
  await page.locator("#f-rules-0-match-src").fill("198.18.10.0/24\n198.18.11.0/24");
  await page.locator("#f-rules-0-policy").fill("work");
  await shotOf(card(page), "30-policy-card");
  await page.getByRole("button", { name: "Apply" }).click();
  await applied(page);
  const doc = (await config()).data;
  assert.deepEqual(doc.policies?.work.wans, ["repeater", { name: "tethering", weight: 3 }]);
  assert.equal(doc.policies?.work.mode.type, "mode.load-balance");
  assert.deepEqual(doc.rules, [{ name: "voip", match: { proto: "udp", dport: 5060, src: ["198.18.10.0/24", "198.18.11.0/24"] }, policy: "work" }]);
  assert.deepEqual(main.problems, []);
});

test("routing policy: an unknown policy is refused at its field, nothing applied; rules reordered and removed", { skip }, async () => {
  const page = main.page;
  const before = await config();
  await card(page).getByRole("button", { name: "Add rule" }).click();
  await page.locator("#f-rules-1-name").fill("rest");
  await page.locator("#f-rules-1-policy").fill("nowhere");
  await page.getByRole("button", { name: "Apply" }).click();
  await until("error at the field", 10_000, async () => (await page.locator("#f-rules-1-policy").getAttribute("aria-invalid")) === "true");
  assert.match(await page.locator("#f-rules-1-policy-err").innerText(), /\w/, "the API's message is next to the field");
  assert.equal((await config()).etag, before.etag, "nothing applied");

  await page.locator("#f-rules-1-policy").fill("main");
  await card(page).getByRole("button", { name: "Move Rule 2: rest up" }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "Move Rule 1: rest down",
    "focus stays on the moved rule (at the top: its other move button)");
  assert.equal(await page.locator("#f-rules-0-name").inputValue(), "rest");
  await page.getByRole("button", { name: "Apply" }).click();
  await applied(page);
  assert.deepEqual((await config()).data.rules?.map((r) => r.name), ["rest", "voip"]);

  await card(page).getByRole("button", { name: "Remove Rule 1: rest" }).click();
  await card(page).getByRole("button", { name: "Remove policy work" }).click();
  await page.locator("#f-rules-0-policy").fill("main");
  await page.getByRole("button", { name: "Apply" }).click();
  await applied(page);
  const doc = (await config()).data;
  assert.deepEqual(doc.rules?.map((r) => [r.name, r.policy]), [["voip", "main"]]);
  assert.deepEqual(doc.policies, {});
});

test("WAN and mode settings: every key of their entry schemas (family, NAT66, data cap, sticky, degraded…) appears by itself", { skip }, async () => {
  const page = main.page;
  const openapi = await daemon.api<{ components: { schemas: { WanEntry: { oneOf: { properties: Record<string, { const?: string }> }[] } } } }>(
    "GET",
    "/openapi.json",
  );
  const entry = openapi.data.components.schemas.WanEntry.oneOf.find((s) => s.properties.type.const === "wan.cellular")!;
  // Drawn elsewhere on the page: the type, enabled, priority and ratio, tracking and health.
  const elsewhere = ["type", "enabled", "priority", "weight", "tracker", "health"];
  const keys = Object.keys(entry.properties).filter((k) => !elsewhere.includes(k));
  const wan = page.locator('li.wan[data-wan="cellular"]');
  await wan.locator("summary", { hasText: "Settings of" }).click();
  for (const k of keys) {
    const shown = await wan.locator(`#f-wans-cellular-${k}, [data-path="wans.cellular.${k}"]`).count();
    assert.ok(shown > 0, `wans.cellular.${k} has a field`);
  }
  // The method card draws the mode's whole entry (its kernel keys: sticky, degraded…) the same way.
  const modes = (await daemon.api<{ components: { schemas: { ModeEntry: { oneOf: { properties: Record<string, { const?: string }> }[] } } } }>(
    "GET",
    "/openapi.json",
  )).data.components.schemas.ModeEntry.oneOf;
  const mode = modes.find((m) => m.properties.type.const === "mode.failover")!;
  for (const k of Object.keys(mode.properties).filter((k) => k !== "type")) {
    const shown = await page.locator(`section[aria-labelledby=h-method]`).locator(`#f-mode-${k}, [data-path="mode.${k}"]`).count();
    assert.ok(shown > 0, `mode.${k} has a field in the method card`);
  }
  if (!keys.includes("cap")) {
    console.warn("*** the WAN entry schema has no cap yet: the cap form is not exercised ***");
  } else {
    await wan.getByLabel("Data cap (MB)").fill("5000");
    await wan.locator("#f-wans-cellular-cap-period-kind").selectOption({ label: "Days" });
    await wan.locator("#f-wans-cellular-cap-period-days").fill("30");
    await page.getByRole("button", { name: "Apply" }).click();
    await applied(page);
    const cap = ((await config()).data as { wans: Record<string, { cap?: unknown }> }).wans.cellular.cap as Record<string, unknown>;
    assert.equal(cap.limitMB, 5000);
    assert.deepEqual(cap.period, { days: 30 });
  }

  const serious = (await axe(page)).filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(serious, [], "axe: no serious violation with the policy card and the WAN settings open");
  await page.setViewportSize({ width: 375, height: 800 });
  await card(page).scrollIntoViewIfNeeded();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, "no horizontal overflow at 375 px");
  await shotOf(card(page), "31-policy-card-phone");
  await wan.locator(".wan-settings").scrollIntoViewIfNeeded();
  await shot(page, "32-wan-settings-phone", false);
  await page.setViewportSize({ width: 1280, height: 900 });
  assert.deepEqual(main.problems, []);
});
