#!/usr/bin/env node
/**
 * `pnpm bench:policy [corpus.jsonl]`: decisions per second and per-decision latency of the gate on
 * a corpus. The corpus path comes from the argument, then `TXBOX_POLICY_CORPUS`, then
 * `<repo>/../shared/policy-corpus/corpus-v2.jsonl`. Every figure printed is measured in this run.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readCorpus } from "../corpus.js";
import { formatFigures, measure } from "./measure.js";

/** The workspace root: the nearest ancestor holding pnpm-workspace.yaml. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(resolve(dir, "pnpm-workspace.yaml"))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

const ROUNDS = 10;
const file =
  process.argv[2] ??
  process.env["TXBOX_POLICY_CORPUS"] ??
  resolve(repoRoot(), "..", "shared", "policy-corpus", "corpus-v2.jsonl");
if (!existsSync(file)) {
  process.stderr.write(`corpus not found: ${file} (pass a path or set TXBOX_POLICY_CORPUS)\n`);
  process.exit(2);
}
process.stdout.write(formatFigures(file, await measure(readCorpus(file), ROUNDS), ROUNDS));
