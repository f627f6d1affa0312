// Regenerate schema/txbox.schema.json from the zod schema (run after `tsc -b packages/core`).
import { writeFileSync } from "node:fs";
import { URL } from "node:url";
import { configJsonSchema } from "../lib/index.js";

const file = new URL("../schema/txbox.schema.json", import.meta.url);
writeFileSync(file, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
