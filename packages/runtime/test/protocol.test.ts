import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  configArg,
  encodeFrame,
  frameReader,
  journalKey,
  socketDir,
  socketPath,
} from "../src/daemon/protocol.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "txbox-protocol-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("daemon protocol", () => {
  test("frames survive being split anywhere and carry bytes unchanged", () => {
    const bytes = Buffer.from([0, 255, 10, 13, 0xc3, 0x28]);
    const text =
      encodeFrame({ t: "out", d: bytes.toString("base64") }) + encodeFrame({ t: "exit", code: 4 });
    const got: unknown[] = [];
    const feed = frameReader((f) => got.push(f));
    for (const ch of text) feed(ch);
    expect(got).toEqual([
      { t: "out", d: bytes.toString("base64") },
      { t: "exit", code: 4 },
    ]);
    expect(Buffer.from((got[0] as { d: string }).d, "base64")).toEqual(bytes);
  });

  test.each([
    [["run", "--config", "a.yaml", "--", "x"], "a.yaml"],
    [["run", "--config=b.yaml"], "b.yaml"],
    [["run", "--", "--config", "c.yaml"], undefined],
    [["policy", "check", "--", "ls"], undefined],
  ])("configArg %j", (args, expected) => {
    expect(configArg(args)).toBe(expected);
  });
});

describe("one daemon per journal", () => {
  test("the key is $TXBOX_JOURNAL, else the txbox.yaml found upwards, else the testbed's project, else the user's journal", () => {
    const project = join(dir, "p");
    const sub = join(project, "src", "deep");
    mkdirSync(sub, { recursive: true });
    expect(journalKey(sub, {}, undefined)).toEqual({ config: null, project: null });
    expect(journalKey(sub, { TXBOX_JOURNAL: "../j.db" }, undefined)).toEqual({
      config: null,
      project: null,
      journal: join(project, "src", "j.db"),
    });
    mkdirSync(join(project, ".txbox"));
    writeFileSync(join(project, ".txbox", "testbed.json"), "{}");
    expect(journalKey(sub, {}, undefined)).toEqual({ config: null, project });
    writeFileSync(join(project, "txbox.yaml"), "{}\n");
    expect(journalKey(sub, {}, undefined)).toEqual({
      config: join(project, "txbox.yaml"),
      project: null,
    });
    expect(journalKey(sub, { TXBOX_CONFIG: "/etc/x.yaml" }, undefined).config).toBe("/etc/x.yaml");
    expect(journalKey(sub, {}, "../y.yaml").config).toBe(join(project, "src", "y.yaml"));
  });

  test("the same project from two directories has one socket; another project another", () => {
    const a = join(dir, "a");
    mkdirSync(join(a, "x"), { recursive: true });
    mkdirSync(join(dir, "b"));
    writeFileSync(join(a, "txbox.yaml"), "{}\n");
    const env = { XDG_RUNTIME_DIR: dir };
    expect(socketPath(join(a, "x"), env)).toBe(socketPath(a, env));
    expect(socketPath(join(dir, "b"), env)).not.toBe(socketPath(a, env));
    expect(socketPath(a, env).startsWith(join(dir, "txbox") + "/")).toBe(true);
  });

  test("a socket directory others can write to is refused", () => {
    mkdirSync(join(dir, "txbox"), { mode: 0o777 });
    // mkdir's mode is masked by the umask: set it explicitly.
    chmodSync(join(dir, "txbox"), 0o777);
    expect(() => socketDir({ XDG_RUNTIME_DIR: dir })).toThrow(/not a private directory/);
  });
});
