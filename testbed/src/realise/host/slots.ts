import { readFile, writeFile } from "node:fs/promises";

/**
 * A stable slot on the management network per vmid, so a guest keeps its address across
 * restarts while slots last; kept in a file of the state directory (survives a testbed restart).
 */
export class MgmtSlots {
  private slotOf = new Map<number, number>();

  constructor(private readonly file: string) {}

  async load(): Promise<void> {
    try {
      const rec = JSON.parse(await readFile(this.file, "utf8")) as Record<string, number>;
      this.slotOf = new Map(Object.entries(rec).map(([k, v]) => [Number(k), v]));
    } catch {
      this.slotOf = new Map();
    }
  }

  /** The slot last given to `vmid`, if any. */
  of(vmid: number): number | undefined {
    return this.slotOf.get(vmid);
  }

  /**
   * `vmid`'s slot among `slots`: its own if it has one, else the first free one from `vmid`
   * onwards; a slot whose owner is not running (`inUse` false) is taken over. Undefined: full.
   */
  async allocate(
    vmid: number,
    slots: number,
    inUse: (vmid: number) => boolean,
  ): Promise<number | undefined> {
    const known = this.slotOf.get(vmid);
    if (known !== undefined && known < slots) return known;
    const taken = new Map([...this.slotOf].map(([v, s]) => [s, v]));
    let slot: number | undefined;
    for (let i = 0; i < slots && slot === undefined; i++) {
      const candidate = (vmid + i) % slots;
      const owner = taken.get(candidate);
      if (owner === undefined || !inUse(owner)) slot = candidate;
    }
    if (slot === undefined) return undefined;
    for (const [v, s] of this.slotOf) if (s === slot) this.slotOf.delete(v);
    this.slotOf.set(vmid, slot);
    await writeFile(this.file, JSON.stringify(Object.fromEntries(this.slotOf)));
    return slot;
  }
}
