import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { shellQuote, treeDigestCommand, treeDigestVia } from "../src/digest.js";

/** Runs the digest command for real, with bash, on trees made in a temporary directory. */
describe("treeDigestCommand", () => {
  let root: string;
  const runPlain = async (command: string) => {
    const r = spawnSync("bash", ["-c", command], { encoding: "utf8", timeout: 30_000 });
    return { exitCode: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const digest = treeDigestVia(runPlain);
  const tree = (name: string): string => {
    const dir = join(root, name);
    mkdirSync(join(dir, "src"), { recursive: true });
    writeFileSync(join(dir, "src", "a.py"), "print(1)\n");
    writeFileSync(join(dir, "README"), "hello\n");
    symlinkSync("src/a.py", join(dir, "link"));
    return dir;
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "txbox digest '"));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  test("identical trees give the same digest, any change a different one", async () => {
    const base = await digest(tree("base"));
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(await digest(tree("same"))).toBe(base);

    const content = tree("content");
    writeFileSync(join(content, "README"), "hellO\n");
    const mode = tree("mode");
    chmodSync(join(mode, "README"), 0o755);
    const link = tree("link");
    rmSync(join(link, "link"));
    symlinkSync("README", join(link, "link"));
    const added = tree("added");
    mkdirSync(join(added, "empty"));
    const renamed = tree("renamed");
    rmSync(join(renamed, "README"));
    writeFileSync(join(renamed, "README.md"), "hello\n");
    const digests = await Promise.all([content, mode, link, added, renamed].map((d) => digest(d)));
    expect(new Set([base, ...digests]).size).toBe(6);
  });

  test("a missing directory is an E_BENCH_DIGEST error", async () => {
    await expect(digest(join(root, "nope"))).rejects.toMatchObject({ code: "E_BENCH_DIGEST" });
  });

  test("quotes the directory", () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(treeDigestCommand("/a b")).toMatch(/^cd '\/a b' &&/);
  });
});
