// Tests for the survivors of the seed-21 sample (stryker/policy-sample.json at 39d6645, literals
// run 2026-12-05 18:59-21:19 UTC, docs/mutation/survivors.md "seed 21"): each case states the
// behaviour the surviving mutant changed.
import { uncertain, pathsOf, first } from "./roles.js";

describe("dd's if= and of= values are read whole (emit-files.ts dd)", () => {
  it("an of= value holding a newline is written under its whole name", () => {
    expect(pathsOf("dd if=/dev/zero of=$'/srv/x\\ny'", "dd")).toEqual([
      "read /dev/zero",
      "write /srv/x\ny",
    ]);
  });
});

describe("parted's read-only commands are whole words (emit-files.ts parted)", () => {
  it.each(["set", "select", "printer"])("`parted /dev/vda %s` may write the disk", (word) => {
    expect(pathsOf(`parted /dev/vda ${word}`, "parted")).toEqual(["write /dev/vda"]);
  });
  it("`parted /dev/vda print free` only reads it", () => {
    expect(pathsOf("parted /dev/vda print free", "parted")).toEqual(["read /dev/vda"]);
  });
});

describe("a typed line's leading colons only are an ex prompt (runner.ts escapeLines)", () => {
  it("`!scp f host:/tmp` typed into less copies to a remote host", () => {
    const scp = first("less README\n!scp /srv/f host:/tmp", "scp");
    expect(scp.via).toEqual(["less typed input"]);
    expect(scp.tags).toContain("upload");
  });
});

describe("echo's flags are read from its own words (emit-data.ts printText)", () => {
  it("`echo -n -n '\\x41'` prints the backslash text as it is: nothing decoded", () => {
    expect(uncertain("echo -n -n '\\x41' | sh")).toEqual([]);
    expect(uncertain("echo -n -e '\\x41' | sh")).toEqual(["decoded-payload"]);
  });
});

describe("only glob(…) is unwrapped around a deleted path (interpreters.ts deletes)", () => {
  it("`shutil.rmtree(noglob('/srv/p'))` deletes what a function returns: unknown", () => {
    const cmd = `python3 -c "import shutil; shutil.rmtree(noglob('/srv/p'))"`;
    expect(uncertain(cmd)).toContain("dynamic-interpreter-exec");
    expect(() => first(cmd, "rm")).toThrow();
  });
  it("`shutil.rmtree(glob('/srv/p'))` deletes the pattern's paths", () => {
    expect(pathsOf(`python3 -c "import shutil; shutil.rmtree(glob('/srv/p'))"`, "rm")).toEqual([
      "delete /srv/p",
    ]);
  });
});
