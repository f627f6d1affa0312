import type { DecisionKind } from "../types.js";

/**
 * The gate's decision table. Every effect a command has is one of these kinds; the decision for a
 * command line is the strictest entry over all its effects (deny > transact > allow).
 *
 * | effect          | in the guest | remote target | why                                               |
 * |-----------------|--------------|---------------|---------------------------------------------------|
 * | read            | allow        | allow         | reads non-secret data                             |
 * | read-secret     | deny         | deny          | a credential in the transcript cannot be unread   |
 * | write           | transact     | deny          | the guest snapshot undoes it; a remote one not    |
 * | delete          | transact     | deny          | idem                                              |
 * | state           | transact     | transact      | not known to be read-only; ordinary remote work   |
 * | destroy         | transact     | deny          | data of a service: local db/docker vs real ones   |
 * | destroy-tree    | deny         | deny          | /, ~, system trees: the guest as a whole          |
 * | disk            | deny         | deny          | formats, wipes or writes raw disks                |
 * | availability    | deny         | deny          | power, killing init/sshd/everything, sysrq        |
 * | lockout         | deny         | deny          | firewall, links, sshd config: the orchestrator's access |
 * | exhaust         | deny         | deny          | fork bombs, unbounded fills                       |
 * | send            | deny         | deny          | local data leaves the guest                       |
 * | remote-change   | deny         | deny          | state outside the guest (push, publish, ssh)      |
 * | exec-untrusted  | deny         | deny          | code of network, decoded, dynamic or hidden origin|
 * | escalate        | deny         | deny          | root shells, accounts, setuid: the gate is bypassed |
 * | persist         | deny         | deny          | cron, units, rc files, preload, hooks             |
 * | tamper          | deny         | deny          | logs, history, audit and security controls        |
 * | escape          | deny         | deny          | container or hypervisor escape                    |
 */
export const EFFECT_KINDS = [
  "read",
  "read-secret",
  "write",
  "delete",
  "state",
  "destroy",
  "destroy-tree",
  "disk",
  "availability",
  "lockout",
  "exhaust",
  "send",
  "remote-change",
  "exec-untrusted",
  "escalate",
  "persist",
  "tamper",
  "escape",
] as const;

export type EffectKind = (typeof EFFECT_KINDS)[number];

/** One row of the table: the decision in the guest and against a remote target, and why. */
export interface EffectRow {
  guest: DecisionKind;
  remote: DecisionKind;
  /** What a refusal tells the agent to do instead (deny rows). */
  alternative?: string;
}

const UNDOABLE = "The guest snapshot undoes it";

export const EFFECT_TABLE: Record<EffectKind, EffectRow> = {
  read: { guest: "allow", remote: "allow" },
  "read-secret": {
    guest: "deny",
    remote: "deny",
    alternative:
      "Use the credential through its tool (ssh -i, aws --profile, env of the process) without printing or copying it",
  },
  write: {
    guest: "transact",
    remote: "deny",
    alternative: "Change the remote system through its owner's pipeline; work on the guest",
  },
  delete: {
    guest: "transact",
    remote: "deny",
    alternative: "Delete only on the guest; remote data is not covered by any snapshot",
  },
  state: { guest: "transact", remote: "transact" },
  destroy: {
    guest: "transact",
    remote: "deny",
    alternative:
      "Use a local instance inside the guest (localhost database, local docker, kind cluster) or ask the operator",
  },
  "destroy-tree": {
    guest: "deny",
    remote: "deny",
    alternative:
      "Delete only what you created: a named directory inside the project or under /tmp/<name>",
  },
  disk: {
    guest: "deny",
    remote: "deny",
    alternative: "Work on an image file inside the project (e.g. mkfs.ext4 ./disk.img)",
  },
  availability: {
    guest: "deny",
    remote: "deny",
    alternative: "Restart only the service you need, or kill the process id you started",
  },
  lockout: {
    guest: "deny",
    remote: "deny",
    alternative:
      "Add narrow rules (iptables -A … -j ACCEPT), use a network namespace for experiments; leave SSH to the operator",
  },
  exhaust: {
    guest: "deny",
    remote: "deny",
    alternative: "Use bounded loops and small, fixed sizes (head -c 10M /dev/urandom > f)",
  },
  send: {
    guest: "deny",
    remote: "deny",
    alternative: "Do not send local data off the guest; share results through the project tree",
  },
  "remote-change": {
    guest: "deny",
    remote: "deny",
    alternative:
      "Run read-only commands remotely; changes outside the guest go through the operator",
  },
  "exec-untrusted": {
    guest: "deny",
    remote: "deny",
    alternative:
      "Download into the project, read it, then run it as a file; write commands out literally so the gate can judge them",
  },
  escalate: {
    guest: "deny",
    remote: "deny",
    alternative:
      "Run the single command that needs root with sudo <command>; ask the operator for access",
  },
  persist: {
    guest: "deny",
    remote: "deny",
    alternative: "Run the job in the foreground; ask the operator to install it in the image",
  },
  tamper: {
    guest: "deny",
    remote: "deny",
    alternative: "Leave logs, history and security controls in place; filter them when reading",
  },
  escape: {
    guest: "deny",
    remote: "deny",
    alternative: "Mount only the project (-v $PWD:/src), drop --privileged; txbox manages guests",
  },
};

/** Effects that act where the command acts: the guest, or the remote target it names. */
export const TARGETED: ReadonlySet<EffectKind> = new Set(["write", "delete", "state", "destroy"]);

/** The decision the table gives one effect. */
export function decideEffect(kind: EffectKind, remote: boolean): DecisionKind {
  const row = EFFECT_TABLE[kind];
  return remote ? row.remote : row.guest;
}

/** Reason text for an effect row without a more specific justification. */
export const UNDOABLE_REASON = UNDOABLE;
