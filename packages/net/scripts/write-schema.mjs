// Regenerate schema/net-spec.schema.json from the zod schema (run after `tsc -b packages/net`).
import { writeFileSync } from "node:fs";
import { URL } from "node:url";
import { netSpecJsonSchema } from "../lib/index.js";

const file = new URL("../schema/net-spec.schema.json", import.meta.url);
writeFileSync(file, `${JSON.stringify(netSpecJsonSchema(), null, 2)}\n`);
console.log(`wrote ${file.pathname}`);
