import { strict as assert } from "node:assert";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { logger, setupLogging, stopLogging } from "../src/log.ts";

describe("logging", () => {
  let dir = "";
  after(async () => {
    await stopLogging();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("writes JSON Lines per category, with levels set per category", async () => {
    dir = await mkdtemp(join(tmpdir(), "multiwan-log-"));
    const file = join(dir, "multiwan.jsonl");
    await setupLogging({ level: "info", file, console: false, categories: { "plugin.wan": "error", "kernel.health": "debug" } });
    logger("kernel").info("plan: {summary}", { summary: "ethernet carries" });
    logger("kernel").debug("hidden at info");
    logger("kernel", "health").debug("shown: {wan}", { wan: "ethernet" });
    logger("plugin", "wan", "cellular", "lte").warn("hidden below error");
    logger("plugin", "wan", "cellular", "lte").error("modem gone");
    await stopLogging();
    const lines = (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.logger, l.level, l.message]), [
      ["multiwan.kernel", "INFO", 'plan: "ethernet carries"'],
      ["multiwan.kernel.health", "DEBUG", 'shown: "ethernet"'],
      ["multiwan.plugin.wan.cellular.lte", "ERROR", "modem gone"],
    ]);
    assert.equal(lines[0].properties.summary, "ethernet carries");
  });
});
