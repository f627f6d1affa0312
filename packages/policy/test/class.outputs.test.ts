// Tests by class over programs that otherwise only read (the pack's readonly.basic lists them)
// given an output file or a system setting (knowledge/programs.yaml output_files and
// system_setters, src/facts/extract/outputs.ts). Expectations by hand from the principle and the
// programs' manual pages: writing a file is at least a transaction (a persistence path: deny);
// setting the clock or the host name changes the guest (transact); the reading forms stay allow.
import { first } from "./roles.js";
import { verdict } from "./sides.js";
import { optionValues } from "../src/facts/extract/outputs.js";
import type { ArgValue } from "../src/facts/paths.js";

describe("a read-only program's output file is written", () => {
  it.each([
    ["sort -o out.txt a", "sort", "write /workspace/out.txt"],
    ["sort -oout.txt a", "sort", "write /workspace/out.txt"],
    ["sort --output=/srv/o a", "sort", "write /srv/o"],
    ["sort --output /srv/o a", "sort", "write /srv/o"],
    ["shuf -o /srv/o a", "shuf", "write /srv/o"],
    ["tree -o /srv/o .", "tree", "write /srv/o"],
    ["uniq -c a /srv/o", "uniq", "write /srv/o"],
    ["xxd -r a.hex /srv/o", "xxd", "write /srv/o"],
  ])("%s writes", (cmd, program, path) => {
    expect(first(cmd, program).paths.map((p) => `${p.role} ${p.path}`)).toContain(path);
  });

  it.each([
    ["sort -o /etc/cron.d/x a", "deny"],
    ["sort --output=/etc/cron.d/x a", "deny"],
    ["uniq a /etc/cron.d/x", "deny"],
    ["shuf -o ~/.bashrc a", "deny"],
    ["xxd -r a.hex /etc/cron.d/x", "deny"],
    ["tree -o /etc/cron.d/x .", "deny"],
    ["sort -o out.txt a", "transact"],
    ["uniq a b", "transact"],
    // the reading forms: to stdout, or `-` (stdout)
    ["sort a", "allow"],
    ["sort -n -k2 a", "allow"],
    ["uniq -c a", "allow"],
    ["uniq a -", "allow"],
    ["xxd a.bin", "allow"],
    ["tree -L 2 .", "allow"],
    ["sort -o - a", "allow"],
  ])("%s → %s", (cmd, decision) => {
    expect(verdict(cmd)).toBe(decision);
  });
});

describe("a read-only program that changes a system setting", () => {
  it.each([
    ["date -s 2020-01-01", "transact"],
    ["date --set='2020-01-01 10:00'", "transact"],
    ["hostname build-7", "transact"],
    ["hostname -F /etc/hostname", "transact"],
    ["date +%s", "allow"],
    ["date -u", "allow"],
    ["hostname -I", "allow"],
    ["hostname", "allow"],
  ])("%s → %s", (cmd, decision) => {
    expect(verdict(cmd)).toBe(decision);
  });
});

describe("optionValues reads getopt's forms", () => {
  const words = (...ws: string[]): ArgValue[] =>
    ws.map((value) => ({ value, dynamic: false, glob: false }));
  it.each([
    [["-o", "f", "a"], ["f"]],
    [["-of", "a"], ["f"]],
    [["--output=f", "a"], ["f"]],
    [["--output", "f"], ["f"]],
    [["a", "--", "-o", "f"], []],
    [["--outputs=f"], []],
    [["-n", "a"], []],
  ])("%j → %j", (ws, values) => {
    expect(optionValues(words(...ws), ["-o", "--output"]).values.map((v) => v.value)).toEqual(
      values,
    );
  });
  it("an option given last, with no word left, is still given", () => {
    expect(optionValues(words("-s"), ["-s", "--set"])).toEqual({ given: true, values: [] });
    expect(optionValues(words("-u"), ["-s", "--set"])).toEqual({ given: false, values: [] });
  });
});
