/**
 * Reading manual pages (man(7) and mdoc(7) roff, /usr/share/man/man{1,8}/PROGRAM.{1,8}[.gz]) for
 * the knowledge generators: each tagged paragraph (`.TP`, `.IP "tag"`, `.It Fl x`) gives the
 * options or the subcommand word it documents and the first sentence of its description.
 * Facts read from descriptions, never the pages' text.
 */
import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { dirname, join } from "node:path";

/** The roff source of a page, following one `.so` redirect. */
function pageText(file, depth = 0) {
  const raw = readFileSync(file);
  const text = (file.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8");
  const so = /^\.so\s+(\S+)/m.exec(text.slice(0, 200));
  if (so === null || depth > 0) return text;
  const base = join(dirname(dirname(file)), so[1]);
  for (const f of [base, `${base}.gz`]) if (existsSync(f)) return pageText(f, depth + 1);
  return text;
}

/** The page of `program` in sections 1 or 8, if installed. */
export function manPage(dir, program) {
  for (const s of ["1", "8"])
    for (const f of [`man${s}/${program}.${s}.gz`, `man${s}/${program}.${s}`])
      if (existsSync(join(dir, f))) return pageText(join(dir, f));
  return undefined;
}

/** Text of a roff line with fonts, sizes and escapes removed. */
function plain(s) {
  return s
    .replace(/\\f(?:\(..|\[[^\]]*\]|.)/g, "")
    .replace(/\\s[+-]?\d/g, "")
    .replace(/\\\*(?:\(..|\[[^\]]*\]|.)/g, "'")
    .replace(/\\\((?:em|en|hy)/g, "-")
    .replace(/\\\(../g, "")
    .replace(/\\\[[^\]]*\]/g, "")
    .replace(/\\-/g, "-")
    .replace(/\\[&|^%:]/g, "")
    .replace(/\\e/g, "\\")
    .replace(/\\ /g, " ")
    .replace(/"/g, "")
    .trim();
}

/** A macro line's words as text (`.B x`, `.BR a b`, `.Fl x` → `-x`, `.Ar f` → `f`). */
function macroText(line) {
  const m = /^\.(\w+)\s*(.*)$/.exec(line);
  if (m === null) return plain(line);
  const [, name, rest] = m;
  if (["B", "I", "BR", "RB", "BI", "IB", "IR", "RI", "SM", "SB"].includes(name))
    return plain(rest.replace(/"\s+"/g, "").replace(/"/g, ""));
  return mdocText(`${name} ${rest}`);
}

/** mdoc words: `Fl` prefixes a dash to the next word; other macro names are dropped. */
function mdocText(s) {
  const out = [];
  const ws = plain(s).split(/\s+/);
  for (let i = 0; i < ws.length; i++) {
    if (ws[i] === "Fl") out.push(`-${ws[++i] ?? ""}`);
    else if (/^[A-Z][a-z]$|^Ns$/.test(ws[i])) continue;
    else out.push(ws[i]);
  }
  return out.join(" ");
}

/** The first sentence of a description. */
function firstSentence(text) {
  const t = text.replace(/\s+/g, " ").trim();
  const m = /^(.*?[a-z)\]])\.(?:\s|$)/.exec(t);
  return (m ? m[1] : t).slice(0, 240);
}

/** Options and subcommand word a paragraph tag names: `-x, --xx=FILE`, or `upload FILE`. */
function tagEntry(tag, section) {
  const flags = [...tag.matchAll(/(?:^|[\s,[|])(--?[A-Za-z0-9][\w.-]*)/g)].map((m) =>
    m[1].replace(/[.]$/, ""),
  );
  if (flags.length > 0 && /^\[?-/.test(tag)) return { flags };
  const w = /^([a-z][\w-]*)(?:\s|$)/.exec(tag);
  if (w !== null && /COMMAND|ACTION|OPERATION/.test(section)) return { words: [w[1]] };
  // a bare word tagged among the options is a subcommand the page documents there (ufw(8): `enable`)
  if (/^OPTIONS?$/.test(section) && /^[a-z][\w-]*$/.test(tag.trim()))
    return { words: [tag.trim()], amongOptions: true };
  return undefined;
}

/**
 * The options a tag shows taking a value (`-f file`, `--userspec=USER:GROUP`, `-c, --count=N`:
 * both names), not an optional one (`--color[=WHEN]`) or a tag of several switches (`-a, -b`).
 */
function tagValued(tag) {
  const alts = tag.split(/,\s*/).map((a) => a.trim());
  const valued = alts.some((a) => {
    // the value's placeholder: a word, `<file>` or `{a|b}`; not `| -long` (another name)
    const m = /^--?[A-Za-z0-9][\w-]*(?:=|\s+)([A-Za-z0-9<{'"]\S*)/.exec(a);
    return m !== null;
  });
  if (!valued) return [];
  return alts.map((a) => /^(--?[A-Za-z0-9][\w-]*)/.exec(a)?.[1]).filter((f) => f !== undefined);
}

/** Options of a page's tagged paragraphs that take a value, per tagValued. */
export function manValued(text) {
  const out = new Set();
  for (const e of manEntries(text)) for (const f of e.valued ?? []) out.add(f);
  return [...out].sort();
}

/** Described options and subcommands of one page: `{flags|words, description, after: []}`. */
export function manEntries(text) {
  const out = [];
  let section = "";
  let tags = [];
  let desc = [];
  let want = false;
  // docbook pages: `.PP` / `\fBtag\fR` / `.RS 4` / description / `.RE`
  let afterPP = false;
  let pending;
  const flush = () => {
    if (tags.length > 0 && desc.length > 0) {
      const description = firstSentence(desc.join(" "));
      for (const t of tags) {
        const e = tagEntry(t, section);
        // only the program's own options: not a shell's builtins or test operators documented
        // under their own sections
        const own = /^(?:DESCRIPTION|(?:[A-Z]+ )*OPTIONS?)$/.test(section);
        const valued = e?.flags && own ? tagValued(t) : [];
        if (e !== undefined)
          out.push({ ...e, description, after: [], ...(valued.length ? { valued } : {}) });
      }
    }
    if (desc.length > 0) tags = [];
    desc = [];
  };
  for (const line of text.split("\n")) {
    if (pending !== undefined && /^\.RS\b/.test(line)) {
      tags = [pending];
      pending = undefined;
      continue;
    }
    pending = afterPP && !line.startsWith(".") ? plain(line) : undefined;
    afterPP = false;
    if (pending !== undefined) continue;
    if (/^\.(SH|Sh|SS|Ss)\s/.test(line)) {
      flush();
      tags = [];
      section = plain(line.replace(/^\.\w+\s+/, "")).toUpperCase();
    } else if (/^\.(TP|TQ)\b/.test(line)) {
      if (desc.length > 0) flush();
      want = true;
    } else if (/^\.(IP|It)\b/.test(line)) {
      if (desc.length > 0) flush();
      const t = line.startsWith(".It")
        ? mdocText(line.slice(3))
        : plain(/^\.IP\s+("[^"]*"|\S+)?/.exec(line)?.[1] ?? "");
      if (t !== "") tags.push(t);
    } else if (/^\.(PP|P|LP|El|Bl|RE|RS)\b/.test(line)) {
      flush();
      tags = [];
      afterPP = /^\.(PP|P|LP)\b/.test(line);
    } else if (want) {
      // `.B` alone sets the next line in bold: the tag is that line (at(1): `.B` / `\-c`)
      if (/^\.(B|I|BR|RB|BI|IB|IR|RI)\s*$/.test(line)) continue;
      want = false;
      tags.push(macroText(line));
    } else if (/^\.sp\b/.test(line)) {
      // asciidoctor's pages (util-linux): `.sp` / `\fB-c\fP, \fB--command\fP` / `.RS 4`
      afterPP = true;
    } else if (/^\.(IX|PD|br|\\")/.test(line) || line.startsWith("'\\\"")) continue;
    else if (tags.length > 0) desc.push(line.startsWith(".") ? macroText(line) : plain(line));
  }
  flush();
  return out;
}

/**
 * What the page says `program` is for: the NAME section's one-line description after the dash
 * ("useradd - create a new user …", mdoc `.Nd`), or undefined. A page shared by several programs
 * ("at, batch, atq, atrm - queue, examine, or delete jobs") speaks for its first program, and for
 * another only when the description names it ("halt, poweroff, reboot - Halt, power-off or
 * reboot the machine"): which alternative is whose is not said otherwise.
 */
export function manPurpose(text, program) {
  const m = /^\.S[Hh]\s+"?NAME"?\s*\n([\s\S]*?)\n\.S[Hh]\s/m.exec(text);
  if (m === null) return undefined;
  const nd = /^\.Nd\s+(.*)$/m.exec(m[1]);
  const body =
    nd !== null
      ? nd[1]
      : m[1]
          .split("\n")
          .filter((l) => !l.startsWith("."))
          .join(" ");
  const d = plain(body).replace(/\s+/g, " ");
  const dash = d.indexOf(" - ");
  const out = (nd !== null ? d : dash >= 0 ? d.slice(dash + 3) : "").trim();
  if (out === "" || out.length > 160) return undefined;
  const names = dash >= 0 && nd === null ? d.slice(0, dash).split(/,\s*/) : [];
  if (program === undefined || names.length < 2 || names[0].trim() === program) return out;
  const squash = (s) => s.toLowerCase().replace(/[^a-z0-9]/g, "");
  return squash(out).includes(squash(program)) ? out : undefined;
}
