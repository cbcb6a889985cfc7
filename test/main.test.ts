import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { parseFlags } from "../src/main.ts";

describe("parseFlags", () => {
  it("defaults to the simulated world with the demo scenario; the listen address comes from the config or 127.0.0.1:8080", () => {
    assert.deepEqual(parseFlags([]), {
      dataplane: "sim",
      listen: undefined,
      config: undefined,
      stateDir: "./state",
      scenario: true,
    });
  });

  it("reads every flag", () => {
    const f = parseFlags(["--dataplane", "linux", "--listen", "[::1]:9000", "--config", "/etc/m.json", "--state-dir", "/var/lib/m"]);
    assert.deepEqual(f, { dataplane: "linux", listen: [{ host: "::1", port: 9000 }], config: "/etc/m.json", stateDir: "/var/lib/m", scenario: false });
    assert.equal((parseFlags(["--no-scenario"]) as { scenario: boolean }).scenario, false);
    assert.equal(parseFlags(["--help"]), "help");
  });

  it("says clearly what is wrong", () => {
    assert.throws(() => parseFlags(["--dataplane", "bsd"]), /--dataplane must be sim or linux, not bsd/);
    assert.throws(() => parseFlags(["--listen", "8080"]), /--listen must be HOST:PORT/);
    assert.throws(() => parseFlags(["--listen", "127.0.0.1:70000"]), /--listen must be HOST:PORT/);
    assert.throws(() => parseFlags(["--bogus"]), /Unknown option '--bogus'/);
  });
});
