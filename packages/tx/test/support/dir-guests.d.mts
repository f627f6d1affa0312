// Types of the directory-backed TEST DOUBLE in dir-guests.mjs.
import type { ExecPort, GuestRef, SnapshotPort } from "../../src/ports.js";

export declare const SSHD_DOWN: string;

export interface DirGuestMeta {
  snapshots: { name: string; description?: string; parent?: string; snaptime: number }[];
  running: boolean;
  current: string | null;
  lock?: string;
}

export declare class DirGuests {
  constructor(base: string, options?: { rollbackOnlyNewest?: boolean; stopOnRollback?: boolean });
  base: string;
  faults: {
    createFails: number;
    removeLeavesLock: number;
    rollbackFails: number;
    execTransportFails: number;
  };
  log: { seq: number; vmid: number; kind: string; detail: string }[];
  dir(guest: GuestRef): string;
  root(guest: GuestRef): string;
  ensure(guest: GuestRef, files?: Record<string, string>): string;
  meta(guest: GuestRef): DirGuestMeta;
  snapshotPort(): Required<SnapshotPort>;
  execPort(): ExecPort;
}
