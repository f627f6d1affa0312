import { dirname, resolve } from "node:path";
import { checkConfig, configJsonSchema, configSchema, loadYamlFile } from "@txbox/core";
import { checkPolicyReferences } from "@txbox/policy";
import type { Register } from "../main.js";
import { printJson, println } from "../output.js";
import { configFor } from "@txbox/runtime/gate";

export const registerConfig: Register = (program, io, outcome) => {
  const config = program
    .command("config")
    .description("txbox.yaml: its schema, the effective values, validation");

  config
    .command("schema")
    .description("print the JSON Schema of txbox.yaml")
    .option("--json", "machine-readable output (the schema is JSON already)")
    .action(() => {
      println(io, JSON.stringify(configJsonSchema(), null, 2));
    });

  config
    .command("show")
    .description("print the effective configuration (secrets redacted)")
    .option("--json", "machine-readable output")
    .option("--config <file>", "txbox.yaml to use")
    .action((opts: { json?: boolean; config?: string }) => {
      const loaded = configFor(io, opts.config);
      if (opts.json) printJson(io, { file: loaded.file ?? null, config: loaded.config });
      else {
        println(io, `# from ${loaded.file ?? "defaults (no txbox.yaml found)"}`);
        println(io, JSON.stringify(loaded.config, null, 2));
      }
    });

  config
    .command("validate")
    .description(
      "check a txbox.yaml without touching the network: schema, how the API is logged into, " +
        "guests, rule packs and rule ids; every problem with its line and column",
    )
    .argument("[file]", "the file (default: the nearest txbox.yaml)")
    .option("--json", "machine-readable output")
    .action((file: string | undefined, opts: { json?: boolean }) => {
      const path = file === undefined ? configFor(io).file : resolve(io.cwd, file);
      if (path) {
        const baseDir = dirname(path);
        loadYamlFile(path, configSchema, {
          check: (c) => [...checkConfig(c), ...checkPolicyReferences(c, baseDir)],
        });
      }
      if (opts.json) printJson(io, { file: path ?? null, valid: true });
      else println(io, path ? `${path}: valid` : "no txbox.yaml found: the defaults apply");
      outcome.code = 0;
    });
};
