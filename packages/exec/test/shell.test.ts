import { CappedBuffer } from "../src/output.js";
import { preamble, remoteScript, shellQuote } from "../src/shell.js";
import { hostKeyFingerprint, normaliseFingerprint } from "../src/fingerprint.js";
import { execFileSync } from "node:child_process";

describe("shell text", () => {
  test.each(["plain", "it's", "a b", "$HOME", "`x`", '"q"', "new\nline", ""])(
    "shellQuote round-trips %j through sh",
    (value) => {
      expect(execFileSync("sh", ["-c", `printf '%s' ${shellQuote(value)}`]).toString()).toBe(value);
    },
  );

  test("preamble: cd and exports, validated names", () => {
    expect(preamble({})).toBe("");
    expect(preamble({ cwd: "/w s", env: { A: "x'y" } })).toBe(
      `cd -- '/w s' && export A='x'\\''y' && `,
    );
    expect(() => preamble({ env: { "BAD-NAME": "x" } })).toThrow(/invalid variable name/);
  });

  test("the remote script announces the pgid first and runs the command verbatim", () => {
    const out = execFileSync("sh", [
      "-c",
      remoteScript('echo "$0:$A"; exit 0', { env: { A: "1" } }),
    ]).toString();
    const [first, second] = out.split("\n");
    expect(first).toMatch(/^__txbox_pgid=\d+$/);
    expect(second).toBe("bash:1");
  });
});

test("CappedBuffer keeps the first bytes and flags truncation", () => {
  const b = new CappedBuffer(5);
  b.push(Buffer.from("abc"));
  expect(b.truncated).toBe(false);
  b.push(Buffer.from("defg"));
  b.push(Buffer.from("h"));
  expect(b.data().toString()).toBe("abcde");
  expect(b.truncated).toBe(true);
});

test("host key fingerprints match ssh-keygen's format", () => {
  expect(hostKeyFingerprint(Buffer.from("key"))).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  expect(normaliseFingerprint("SHA256:abc=")).toBe("SHA256:abc");
  expect(() => normaliseFingerprint("MD5:aa")).toThrow(/hostKey: expected/);
});
