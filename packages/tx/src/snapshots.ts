import type { SnapshotInfo } from "./ports.js";

/** The prefix of every snapshot txbox takes; the rest of the name is the transaction id. */
export const SNAPSHOT_PREFIX = "txbox-";

/** The snapshot name of a transaction (`txbox-<txid>`, fits `^[a-z][a-z0-9_-]+$`, ≤ 40 chars). */
export function snapshotName(txid: string): string {
  return SNAPSHOT_PREFIX + txid;
}

/** The description txbox writes on its snapshots, so that they can be told apart from others. */
export function snapshotDescription(txid: string): string {
  return `txbox:${txid}`;
}

/** The transaction id of a txbox snapshot name, or undefined for other snapshots. */
export function txidOfSnapshot(name: string): string | undefined {
  return name.startsWith(SNAPSHOT_PREFIX) && name.length > SNAPSHOT_PREFIX.length
    ? name.slice(SNAPSHOT_PREFIX.length)
    : undefined;
}

/**
 * Snapshots newer than `name`: its descendants in the parent tree and any with a later snaptime.
 * On zfspool a rollback to `name` is impossible while this list is not empty.
 */
export function newerSnapshots(list: readonly SnapshotInfo[], name: string): string[] {
  const snaps = list.filter((s) => s.name !== "current");
  const target = snaps.find((s) => s.name === name);
  if (target === undefined) return [];
  const newer = new Set<string>();
  let frontier = [name];
  while (frontier.length > 0) {
    const children = snaps.filter((s) => s.parent !== undefined && frontier.includes(s.parent));
    frontier = children.map((s) => s.name).filter((n) => !newer.has(n) && n !== name);
    for (const n of frontier) newer.add(n);
  }
  if (target.snaptime !== undefined) {
    for (const s of snaps) {
      if (s.name !== name && s.snaptime !== undefined && s.snaptime > target.snaptime)
        newer.add(s.name);
    }
  }
  return [...newer].sort();
}
