import { configJsonSchema, loadYamlFile, configSchema } from "@txbox/core";
import type { Register } from "../main.js";
import { printJson, println } from "../output.js";
import { configFor } from "../context.js";

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
    .description("check a txbox.yaml and name every bad key")
    .argument("[file]", "the file (default: the nearest txbox.yaml)")
    .option("--json", "machine-readable output")
    .action((file: string | undefined, opts: { json?: boolean }) => {
      const path = file ?? configFor(io).file;
      if (path) loadYamlFile(path, configSchema);
      if (opts.json) printJson(io, { file: path ?? null, valid: true });
      else println(io, path ? `${path}: valid` : "no txbox.yaml found: the defaults apply");
      outcome.code = 0;
    });
};
