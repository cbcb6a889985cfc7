/** Child process for the atomic-write test: rewrites the file with two documents until killed. */
import process from "node:process";
import { writeFileAtomic } from "../src/config/store.ts";

const [path, a, b] = process.argv.slice(-3);
const docs = [a, b].map((tag) => JSON.stringify({ tag, filler: tag.repeat(2_000_000) }));
// "ready" once a first document is in place: a kill after it must leave a whole one (on a
// loaded machine the first write alone can outlast the parent's delay).
await writeFileAtomic(path, docs[1]);
console.log("ready");
for (let i = 0; ; i++) await writeFileAtomic(path, docs[i % 2]);
