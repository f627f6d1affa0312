/**
 * Plan `txbox init agent`: read each configuration file the agent uses, apply txbox's edits to
 * its parsed content, and say per file what changes (`create`, `update`, `unchanged`) and which
 * user settings would have to be overwritten. Pure: the files' current texts come in through
 * `read`; writing is apply.ts's job.
 */
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { errorMessage } from "@txbox/core";
import { AgentInitError } from "../errors.js";
import type { AgentName } from "../hooks/index.js";
import { claudeCodeSetup } from "./claude-code.js";
import { codexSetup } from "./codex.js";
import { DocEditor, equal, type Doc } from "./edit.js";
import { opencodeSetup } from "./opencode.js";
import { qwenCodeSetup } from "./qwen-code.js";
import type { AgentSetup, FileSpec, InitPlan, InitRequest, PlannedFile } from "./types.js";

const SETUPS: Record<AgentName, (req: InitRequest) => AgentSetup> = {
  "claude-code": claudeCodeSetup,
  codex: codexSetup,
  "qwen-code": qwenCodeSetup,
  opencode: opencodeSetup,
};

/** What `init` would do; `read` returns a file's text, or undefined when it does not exist. */
export function planInit(req: InitRequest, read: (path: string) => string | undefined): InitPlan {
  const setup = SETUPS[req.agent](req);
  return {
    agent: req.agent,
    scope: req.scope,
    files: setup.files.map((f) => planFile(f, read(f.path), req.force)),
    notes: setup.notes,
  };
}

function planFile(spec: FileSpec, before: string | undefined, force: boolean): PlannedFile {
  if (spec.format === "text") return planText(spec, before, force);
  const doc = before === undefined ? {} : parseDoc(spec.path, spec.format, before);
  const original = structuredClone(doc);
  const ed = new DocEditor(doc, force);
  spec.edit(ed);
  const changed = !equal(original, doc);
  const conflicts = [...ed.conflicts];
  // A TOML rewrite drops the file's comments: say so, and do it only when asked.
  if (changed && spec.format === "toml" && before !== undefined && /^\s*#/m.test(before) && !force)
    conflicts.push({
      key: "(comments)",
      found: "comment lines",
      wanted: "none",
      why: "rewriting the file drops its comments",
    });
  const content = changed || before === undefined ? serialise(spec.format, doc, before) : before;
  return {
    path: spec.path,
    format: spec.format,
    action: before === undefined ? "create" : changed ? "update" : "unchanged",
    changes: ed.changes,
    conflicts,
    content,
    ...(before === undefined ? {} : { before }),
  };
}

function planText(
  spec: Extract<FileSpec, { format: "text" }>,
  before: string | undefined,
  force: boolean,
): PlannedFile {
  const same = before === spec.content;
  const foreign = before !== undefined && !same && !before.includes(spec.marker) && !force;
  return {
    path: spec.path,
    format: "text",
    action: before === undefined ? "create" : same ? "unchanged" : "update",
    changes: same
      ? []
      : [{ key: "(file)", op: before === undefined ? "set" : "replace", value: "txbox's file" }],
    conflicts: foreign
      ? [
          {
            key: "(file)",
            found: "a file txbox did not write",
            wanted: "txbox's file",
            why: "it would be replaced",
          },
        ]
      : [],
    content: spec.content,
    ...(before === undefined ? {} : { before }),
  };
}

function parseDoc(path: string, format: "json" | "toml", text: string): Doc {
  try {
    const value: unknown =
      format === "json" ? (text.trim() === "" ? {} : JSON.parse(text)) : parseToml(text);
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new Error("the top level is not an object");
    return value as Doc;
  } catch (cause) {
    throw new AgentInitError(
      "E_AGENT_CONFIG",
      `${path} is not valid ${format.toUpperCase()} (${errorMessage(cause)}); txbox leaves it alone`,
      {
        cause,
        details: { path },
        hint:
          format === "json"
            ? "comments or trailing commas make it JSONC: remove them, or add txbox's settings by hand (txbox init agent --dry-run --json shows them)"
            : "fix the file, or add txbox's settings by hand (txbox init agent --dry-run --json shows them)",
      },
    );
  }
}

function serialise(format: "json" | "toml", doc: Doc, before: string | undefined): string {
  if (format === "toml") return `${stringifyToml(doc).trim()}\n`;
  return `${JSON.stringify(doc, null, indentOf(before))}\n`;
}

/** Keep the file's own indentation (a tab or n spaces); 2 spaces for a new file. */
function indentOf(text: string | undefined): string | number {
  const m = text === undefined ? null : /^\{\s*\n([ \t]+)\S/.exec(text);
  return m?.[1] ?? 2;
}
