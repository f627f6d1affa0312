import type { AgentName } from "../hooks/index.js";
import type { TransactMode } from "../hooks/shell-call.js";
import type { Change, Conflict, DocEditor } from "./edit.js";

/** What `txbox init agent` is asked to set up. */
export interface InitRequest {
  agent: AgentName;
  /** `project`: the agent's files in `dir`; `global`: the user's own (asked for explicitly). */
  scope: "project" | "global";
  /** The project directory (absolute). */
  dir: string;
  /** The user's home directory (absolute), for `global`. */
  home: string;
  /** Environment variables that move the agents' user directories (CODEX_HOME, …). */
  env: Readonly<Record<string, string | undefined>>;
  /** How the agent starts txbox: `["txbox"]`, or e.g. `["node", "/abs/bin/txbox.js"]`. */
  txbox: readonly string[];
  /** The guest commands run on (vmid or name). */
  guest: string;
  /** txbox.yaml, absolute; omitted: txbox finds it as usual ($TXBOX_CONFIG, then upwards). */
  config?: string;
  /** The guest directory commands run in. */
  guestCwd?: string;
  /** The hook's `--transact` mode. */
  transact: TransactMode;
  /** Overwrite user settings that contradict txbox's (each is named without it). */
  force: boolean;
}

/** One configuration file an agent reads, and how txbox edits it. */
export type FileSpec =
  | { path: string; format: "json" | "toml"; edit: (ed: DocEditor) => void }
  | {
      path: string;
      format: "text";
      content: string;
      /** A line that marks the file as txbox's own (rewritten freely). */
      marker: string;
    };

/** What one agent needs: its files and what the user must still do by hand. */
export interface AgentSetup {
  files: FileSpec[];
  notes: string[];
}

/** One file of the plan, as `--dry-run` and `--json` print it. */
export interface PlannedFile {
  path: string;
  format: "json" | "toml" | "text";
  action: "create" | "update" | "unchanged";
  changes: Change[];
  conflicts: Conflict[];
  /** The file's content after the change (what `apply` writes). */
  content: string;
  /** The content before, when the file exists. */
  before?: string;
}

export interface InitPlan {
  agent: AgentName;
  scope: "project" | "global";
  files: PlannedFile[];
  notes: string[];
}
