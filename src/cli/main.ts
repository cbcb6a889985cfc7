/**
 * `multiwan`: the command line over the HTTP API, for scripts. `--json` on everything;
 * URL and token from flags or MULTIWAN_URL / MULTIWAN_TOKEN; exit codes in `client.ts`.
 * @module
 */
import { readFile } from "node:fs/promises";
import process from "node:process";
import { parseArgs } from "node:util";
import { hashPassword } from "../../web/auth/password.ts";
import { CliError, Client, EXIT } from "./client.ts";

export const USAGE = `Usage: multiwan [--url URL] [--token TOKEN] [--json] COMMAND

  status                          health, plan and traffic of every WAN
  wan list | wan get NAME         WANs with their config and status
  wan down|up|auto NAME           force a WAN down or up, or return it to automatic
  config get                      the config document (ETag on stderr with --verbose)
  config set FILE|-               replace the document      [--if-match REV]
  config patch FILE|-             JSON Merge Patch          [--if-match REV]
  config validate FILE|-          dry run: print the issues, exit 6 when invalid
  config revisions                the kept revisions: who changed what, when, from where
  config show REV                 one revision's document (secrets redacted)
  config diff A B                 what changed from A to B (JSON Patch, secrets redacted)
  config rollback REV             apply revision REV again as a new revision  [--if-match REV]
  config export > FILE            backup: the whole document WITH its secrets (admin)
  config import FILE|-            restore a backup (validated and applied like set) [--if-match REV]
  config confirm                  keep a changed api.listen (else reverted after history.confirmS, 60 s)
  events [--since ID]             follow events (one JSON line each with --json)
  token create NAME [--role read|admin] | token list | token revoke ID
  hash-password                   read a password on stdin, print its hash (for api.passwordHash)
  daemon [DAEMON FLAGS]           run the daemon on Deno with permissions derived from its flags and config
  permissions [DAEMON FLAGS]      print those Deno permissions and where each comes from (for audit)
  import mwan3 FILE [--network FILE] [--wireless FILE]
                                  convert an OpenWrt mwan3 config: the document on stdout,
                                  warnings on stderr; exit 6 when invalid (offline; applies nothing)

  --url    default $MULTIWAN_URL or http://127.0.0.1:8080
  --token  default $MULTIWAN_TOKEN
Exit codes: 0 ok, 1 error, 2 usage, 3 auth, 4 not found, 5 conflict/stale, 6 invalid, 7 unreachable, 8 rate limited.
`;

export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdin: () => Promise<string>;
}

async function readInput(arg: string | undefined, io: Io): Promise<string> {
  if (!arg) throw new CliError(EXIT.usage, "name a FILE, or - for stdin");
  return arg === "-" ? await io.stdin() : await readFile(arg, "utf8");
}

function ifMatch(rev: string | undefined): Record<string, string> {
  return rev ? { "if-match": `"${rev.replace(/"/g, "")}"` } : {};
}

type Status = { wans: { name: string; state: string; carrying: boolean; device: string; latencyMs?: number; lossPct: number; reason: string; override?: string }[]; plan: { summary: string }; revision: number };

function statusLines(st: Status): string {
  const rows = st.wans.map((w) =>
    [w.name.padEnd(12), w.state.padEnd(9), (w.carrying ? "carrying" : "").padEnd(9), w.device.padEnd(8),
      (w.latencyMs === undefined ? "-" : `${w.latencyMs.toFixed(1)} ms`).padEnd(9), `${w.lossPct.toFixed(0)}% loss`.padEnd(10), w.reason].join(" ")
  );
  return `${st.plan.summary} (config revision ${st.revision})\n${rows.join("\n")}\n`;
}

/** run executes one command; returns the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  if (argv[0] === "daemon" || argv[0] === "permissions") {
    // The daemon's flags, not the client's: handed to the launcher as they are.
    const { launch } = await import("../launch/launch.ts");
    return await launch(argv[0] === "daemon" ? argv.slice(1) : argv);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: "string" },
        token: { type: "string" },
        json: { type: "boolean", default: false },
        "if-match": { type: "string" },
        role: { type: "string", default: "read" },
        since: { type: "string" },
        network: { type: "string" },
        wireless: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    io.err(`multiwan: ${(err as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  const { values: f, positionals: [cmd, sub, arg, arg2] } = parsed;
  if (f.help || !cmd) {
    io.out(USAGE);
    return f.help ? EXIT.ok : EXIT.usage;
  }
  const client = new Client({ url: f.url ?? io.env.MULTIWAN_URL ?? "http://127.0.0.1:8080", token: f.token ?? io.env.MULTIWAN_TOKEN });
  const print = (body: unknown, human: () => string) => io.out(f.json ? JSON.stringify(body, null, 2) + "\n" : human());
  try {
    switch (`${cmd} ${sub ?? ""}`.trim()) {
      case "status": {
        const { body } = await client.json<Status>("GET", "/api/v1/status");
        print(body, () => statusLines(body));
        return EXIT.ok;
      }
      case "wan list": {
        const { body } = await client.json<{ wans: { name: string; status: Status["wans"][0] }[] }>("GET", "/api/v1/wans");
        print(body, () => body.wans.map((w) => `${w.name}\t${w.status?.state ?? "-"}\t${w.status?.device ?? ""}\n`).join(""));
        return EXIT.ok;
      }
      case "wan get":
      case "wan up":
      case "wan down":
      case "wan auto": {
        if (!arg) throw new CliError(EXIT.usage, `wan ${sub} needs a WAN name`);
        const name = encodeURIComponent(arg);
        const { body } = sub === "get"
          ? await client.json("GET", `/api/v1/wans/${name}`)
          : await client.json<Status["wans"][0]>("POST", `/api/v1/wans/${name}/actions/${sub}`);
        print(body, () => {
          const w = (sub === "get" ? (body as { status: Status["wans"][0] }).status : body) as Status["wans"][0];
          return `${arg}: ${w.state}${w.override ? ` (forced ${w.override})` : ""} \u2014 ${w.reason}\n`;
        });
        return EXIT.ok;
      }
      case "config get": {
        const { body } = await client.json("GET", "/api/v1/config");
        io.out(JSON.stringify(body, null, 2) + "\n");
        return EXIT.ok;
      }
      case "config set":
      case "config patch": {
        const text = await readInput(arg, io);
        const { body } = await client.json<{ revision: number; changed: boolean }>(sub === "set" ? "PUT" : "PATCH", "/api/v1/config", {
          body: text,
          type: sub === "set" ? "application/json" : "application/merge-patch+json",
          headers: ifMatch(f["if-match"]),
        });
        print(body, () => `${body.changed ? "applied" : "unchanged"}: revision ${body.revision}\n`);
        return EXIT.ok;
      }
      case "config validate": {
        const text = await readInput(arg, io);
        const { body } = await client.json<{ valid: boolean; issues: { path: string; message: string }[] }>("POST", "/api/v1/config/validate", { body: text });
        print(body, () => (body.valid ? "valid\n" : body.issues.map((i) => `${i.path}: ${i.message}\n`).join("")));
        return body.valid ? EXIT.ok : EXIT.invalid;
      }
      case "config revisions":
      case "config show":
      case "config diff":
      case "config rollback":
      case "config export":
      case "config import":
      case "config confirm":
        return await revisionCommand(client, { sub, arg, arg2, json: f.json, ifMatch: ifMatch(f["if-match"]) }, io);
      case "events":
        return await follow(client, f.json, f.since, io);
      case "token create": {
        if (!arg) throw new CliError(EXIT.usage, "token create needs a NAME");
        const { body } = await client.json<{ id: string; token: string; role: string }>("POST", "/api/v1/tokens", {
          body: JSON.stringify({ name: arg, role: f.role }),
        });
        print(body, () => `${body.token}\n`);
        return EXIT.ok;
      }
      case "token list": {
        const { body } = await client.json<{ tokens: { id: string; name: string; role: string; createdAt: string }[] }>("GET", "/api/v1/tokens");
        print(body, () => body.tokens.map((t) => `${t.id}\t${t.role}\t${t.name}\t${t.createdAt}\n`).join(""));
        return EXIT.ok;
      }
      case "token revoke": {
        if (!arg) throw new CliError(EXIT.usage, "token revoke needs an ID");
        await client.raw("DELETE", `/api/v1/tokens/${encodeURIComponent(arg)}`);
        print({ revoked: arg }, () => `revoked ${arg}\n`);
        return EXIT.ok;
      }
      case "import mwan3":
        return await importMwan3Command(arg, f.network, f.wireless, io);
      case "hash-password": {
        const pw = (await io.stdin()).replace(/\r?\n$/, "");
        if (pw.length < 8) throw new CliError(EXIT.usage, "use at least 8 characters");
        io.out(`${await hashPassword(pw)}\n`);
        return EXIT.ok;
      }
      default:
        io.err(`multiwan: unknown command ${[cmd, sub].filter(Boolean).join(" ")}\n${USAGE}`);
        return EXIT.usage;
    }
  } catch (err) {
    if (err instanceof CliError) {
      io.err(f.json && err.body ? JSON.stringify(err.body) + "\n" : `multiwan: ${err.message}\n`);
      return err.exitCode;
    }
    io.err(`multiwan: ${(err as Error).message}\n`);
    return EXIT.error;
  }
}

type Revision = { revision: number; at: string; author: string; remote?: string; summary: string };

/** revisionCommand: the config history commands (list, show, diff, rollback, export, import). */
async function revisionCommand(
  client: Client,
  o: { sub: string; arg?: string; arg2?: string; json: boolean; ifMatch: Record<string, string> },
  io: Io,
): Promise<number> {
  const rev = (x: string | undefined, what: string) => {
    if (!x || !/^\d{1,15}$/.test(x)) throw new CliError(EXIT.usage, `config ${o.sub} needs ${what} (a revision number)`);
    return x;
  };
  const print = (body: unknown, human: () => string) => io.out(o.json ? JSON.stringify(body, null, 2) + "\n" : human());
  switch (o.sub) {
    case "revisions": {
      const { body } = await client.json<{ revisions: Revision[] }>("GET", "/api/v1/config/revisions");
      print(body, () => body.revisions.map((r) => `${r.revision}\t${r.at}\t${r.author}\t${r.remote ?? "-"}\t${r.summary}\n`).join(""));
      return EXIT.ok;
    }
    case "show": {
      const { body } = await client.json("GET", `/api/v1/config/revisions/${rev(o.arg, "REV")}`);
      io.out(JSON.stringify(body, null, 2) + "\n");
      return EXIT.ok;
    }
    case "diff": {
      const path = `/api/v1/config/revisions/${rev(o.arg, "A and B")}/diff/${rev(o.arg2, "A and B")}`;
      const { body } = await client.json<{ op: string; path: string; value?: unknown }[]>("GET", path);
      print(body, () => body.map((p) => `${p.op} ${p.path}${p.op === "remove" ? "" : ` ${JSON.stringify(p.value)}`}\n`).join(""));
      return EXIT.ok;
    }
    case "rollback": {
      const { body } = await client.json<{ revision: number; changed: boolean; notice?: string }>(
        "POST",
        `/api/v1/config/revisions/${rev(o.arg, "REV")}/rollback`,
        { headers: o.ifMatch },
      );
      print(body, () => `${body.changed ? `rolled back to ${o.arg}` : "unchanged"}: revision ${body.revision}\n${body.notice ? `${body.notice}\n` : ""}`);
      return EXIT.ok;
    }
    case "confirm": {
      const { body } = await client.json<{ confirmed: string[] }>("POST", "/api/v1/config/confirm");
      print(body, () => `confirmed: the API listens on ${body.confirmed.join(", ")}\n`);
      return EXIT.ok;
    }
    case "export": {
      const res = await client.raw("GET", "/api/v1/config/export");
      io.out(await res.text());
      return EXIT.ok;
    }
    default: {
      const text = await readInput(o.arg, io);
      const { body } = await client.json<{ revision: number; changed: boolean; notice?: string }>("POST", "/api/v1/config/import", {
        body: text,
        headers: o.ifMatch,
      });
      print(body, () => `${body.changed ? "imported" : "unchanged"}: revision ${body.revision}\n${body.notice ? `${body.notice}\n` : ""}`);
      return EXIT.ok;
    }
  }
}

/** importMwan3Command converts offline, validating with the built-in plugins' schema (loaded only here). */
async function importMwan3Command(file: string | undefined, network: string | undefined, wireless: string | undefined, io: Io): Promise<number> {
  const [{ importCommand }, { builtinPlugins }, { Registry }, { buildDocumentSchema }, { validateDocument }] = await Promise.all([
    import("../import/command.ts"),
    import("../../plugins/builtin.ts"),
    import("../registry.ts"),
    import("../config/schema.ts"),
    import("../config/validate.ts"),
  ]);
  const registry = new Registry();
  registry.registerAll(builtinPlugins);
  const schema = buildDocumentSchema(registry);
  const validate = (doc: unknown) => {
    const r = validateDocument(schema, doc);
    return r.ok ? [] : r.issues;
  };
  return await importCommand(file, { network, wireless, validate }, io);
}

async function follow(client: Client, json: boolean, since: string | undefined, io: Io): Promise<number> {
  const res = await client.raw("GET", "/api/v1/events", { headers: since ? { "last-event-id": since } : {} });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return EXIT.ok;
    buf += value;
    let at: number;
    while ((at = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, at);
      buf = buf.slice(at + 2);
      const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("");
      const event = /^event: ?(.*)$/m.exec(block)?.[1] ?? "message";
      if (!data || event === "ready") continue;
      const ev = JSON.parse(data);
      io.out(json ? JSON.stringify(ev) + "\n" : `${ev.at ?? ""} ${event} ${JSON.stringify(ev.data ?? ev)}\n`);
    }
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const isMain = (import.meta as { main?: boolean }).main ??
  (process.argv[1] !== undefined && /src\/cli\/(main\.ts|multiwan\.mjs)$/.test(process.argv[1]));
if (isMain) {
  const env: Record<string, string | undefined> = {};
  for (const k of ["MULTIWAN_URL", "MULTIWAN_TOKEN"]) {
    try {
      env[k] = process.env[k];
    } catch { /* Deno without --allow-env */ }
  }
  run(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env,
    stdin: readStdin,
  }).then((code) => process.exit(code));
}
