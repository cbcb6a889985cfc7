#!/usr/bin/env node
// The `multiwan` command on Node: loads the TypeScript CLI through tsx.
import { register } from "tsx/esm/api";
register();
await import("./main.ts");
