#!/usr/bin/env node
/**
 * Build step (`pnpm build` runs it after tsc): compile the shipped knowledge and rule packs from
 * YAML to JSON under `lib/compiled/`, so loading the policy does not run the YAML parser. A file
 * that does not parse, or whose data would not survive JSON, is left out: loading then parses
 * its YAML and reports the error as before.
 */
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { compileFile, packageRoot } from "./compiled.js";

const skipped: string[] = [];
for (const dir of ["knowledge", "packs"])
  for (const name of readdirSync(resolve(packageRoot, dir)).filter((n) => n.endsWith(".yaml")))
    if (!compileFile(resolve(packageRoot, dir, name))) skipped.push(`${dir}/${name}`);
if (skipped.length > 0)
  process.stderr.write(
    `policy: not compiled (loaded from YAML at run time): ${skipped.join(", ")}\n`,
  );
