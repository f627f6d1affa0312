import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, resolve } from "node:path";
import { parseYaml } from "@txbox/core";
import { z } from "zod";
import {
  compileFile,
  compiledPath,
  packageRoot,
  parseShippedYaml,
  sha256,
} from "../src/knowledge/compiled.js";
import {
  manifestsFileSchema,
  programsFileSchema,
  runnersFileSchema,
  servicesFileSchema,
} from "../src/knowledge/schema.js";
import { packSchema } from "../src/rules/schema.js";

const SHIPPED: [string, z.ZodType][] = [
  ["knowledge/services.yaml", servicesFileSchema],
  ["knowledge/programs.yaml", programsFileSchema],
  ["knowledge/runners.yaml", runnersFileSchema],
  ["knowledge/manifests.yaml", manifestsFileSchema],
  ["packs/default.yaml", packSchema],
];

describe("knowledge compiled at build time", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(resolve(tmpdir(), "txbox-compiled-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("compiles every shipped YAML file, and loading it gives what parsing the YAML gives", () => {
    const names = ["knowledge", "packs"].flatMap((d) =>
      readdirSync(resolve(packageRoot, d))
        .filter((n) => n.endsWith(".yaml"))
        .map((n) => `${d}/${n}`),
    );
    expect(names).toEqual(expect.arrayContaining(SHIPPED.map(([n]) => n)));
    for (const name of names) expect(compileFile(resolve(packageRoot, name), dir)).toBe(true);
    for (const [name, schema] of SHIPPED) {
      const file = resolve(packageRoot, name);
      const text = readFileSync(file, "utf8");
      expect(parseShippedYaml(text, schema, file, dir)).toEqual(parseYaml(text, schema, file));
    }
  });

  const schema = z.object({ name: z.string(), n: z.number().default(1) }).strict();
  const file = resolve(packageRoot, "knowledge", "example.yaml");
  const text = "name: from-yaml\n";
  const write = (data: unknown, hash = sha256(text)): void => {
    const out = compiledPath(file, dir)!;
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({ sha256: hash, data }));
  };

  it("uses the compiled data of exactly this text, still checked by the schema", () => {
    write({ name: "from-json" });
    expect(parseShippedYaml(text, schema, file, dir)).toEqual({ name: "from-json", n: 1 });
  });

  it("parses the YAML when the file changed since the build, or the data fails the schema", () => {
    write({ name: "from-json" }, sha256("name: older\n"));
    expect(parseShippedYaml(text, schema, file, dir)).toEqual({ name: "from-yaml", n: 1 });
    write({ name: 5 });
    expect(parseShippedYaml(text, schema, file, dir)).toEqual({ name: "from-yaml", n: 1 });
    expect(() => parseShippedYaml("name: [\n", schema, file, dir)).toThrow(/YAML syntax error/);
  });

  it("never compiles or looks up files outside the package (a user's pack)", () => {
    expect(compiledPath("/etc/txbox/pack.yaml", dir)).toBeUndefined();
    expect(compileFile(resolve(dir, "user.yaml"), dir)).toBe(false);
  });
});
