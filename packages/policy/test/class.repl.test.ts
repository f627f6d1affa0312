// Tests by class over how an interpreter is started without code (src/facts/extract/scripts.ts):
// with no code, script or input it is a REPL reading the terminal, unless an option only prints
// and exits (python(1) -V/--version/-h/--help, node(1) -h, ruby(1) --version, perl(1) -v, php(1)
// -v/-i/-m/--ini/--info); and
// awk(1)'s options that take a value (-F, -v, -f, --assign, --field-separator), so the program is
// found after them and its system(), `print | cmd` and `cmd | getline` run their commands.
import { resolveContext } from "../src/context.js";
import { extractFacts } from "../src/facts/extract.js";
import { roles } from "./roles.js";

const ctx = resolveContext({});
const tags = (cmd: string): string[] => extractFacts(cmd, ctx).commands.flatMap((c) => c.tags);

describe("an interpreter with nothing to run", () => {
  it.each(["python", "php", "perl", "ruby", "node", "lua"])("%s reads the terminal", (p) => {
    expect(tags(p)).toEqual(["interactive-shell"]);
  });

  it.each([
    "python -V",
    "python --version",
    "python -h",
    "python --help",
    "node -h",
    "node --help",
    "ruby --version",
    "perl -v",
    "php -v",
    "php -i",
    "php -m",
    "php --ini",
    "php --info",
  ])("%s only prints and exits", (cmd) => {
    expect(tags(cmd)).toEqual([]);
  });

  it("php's own info flags are php's: python -i is interactive", () => {
    expect(tags("python -i")).toEqual(["interactive-shell"]);
  });

  it("reads code from its input when given one", () => {
    expect(tags("python - < /srv/x.py")).toEqual(["stdin-script"]);
  });
});

describe("awk's program after its valued options", () => {
  it.each([
    "awk -F: 'BEGIN{system(\"rm /srv/p\")}'",
    "awk -F : 'BEGIN{system(\"rm /srv/p\")}'",
    "awk --field-separator : 'BEGIN{system(\"rm /srv/p\")}'",
    "awk -v x=1 'BEGIN{system(\"rm /srv/p\")}'",
    "awk --assign x=1 'BEGIN{system(\"rm /srv/p\")}'",
    "gawk 'BEGIN{system(\"rm /srv/p\")}'",
    "mawk 'BEGIN{system(\"rm /srv/p\")}'",
    "nawk 'BEGIN{system(\"rm /srv/p\")}'",
    "awk '{print | \"rm /srv/p\"}' /srv/in",
    "awk 'BEGIN{\"rm /srv/p\" | getline}'",
  ])("%s", (cmd) => {
    expect(roles(cmd).rm).toEqual(["delete /srv/p"]);
  });

  it("reads the files after the program; -f names the program file instead", () => {
    expect(roles("awk -v x=1 '{print}' /srv/in").awk).toEqual(["read /srv/in"]);
    expect(roles("awk -f /srv/p.awk /srv/in").rm).toBeUndefined();
    expect(tags("awk -f /srv/p.awk /srv/in")).not.toContain("interpreter-code");
  });
});
