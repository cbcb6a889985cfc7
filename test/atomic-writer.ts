/** Child process for the atomic-write test: rewrites the file with two documents until killed. */
import process from "node:process";
import { writeFileAtomic } from "../src/config/store.ts";

const [path, a, b] = process.argv.slice(-3);
const docs = [a, b].map((tag) => JSON.stringify({ tag, filler: tag.repeat(2_000_000) }));
console.log("ready");
for (let i = 0; ; i++) await writeFileAtomic(path, docs[i % 2]);
