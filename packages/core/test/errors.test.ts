import { ConfigError, TxboxError, idTime, isTxboxError, newId } from "../src/index.js";

describe("TxboxError", () => {
  it("carries a stable code, details and a JSON view", () => {
    const err = new ConfigError("bad key", {
      details: { key: "tx.retention" },
      hint: "use delete or keep",
    });
    expect(err).toBeInstanceOf(TxboxError);
    expect(isTxboxError(err)).toBe(true);
    expect(err.toJSON()).toEqual({
      error: "ConfigError",
      code: "E_CONFIG",
      message: "bad key",
      hint: "use delete or keep",
      details: { key: "tx.retention" },
      retryable: false,
    });
  });
});

describe("newId", () => {
  it("is lowercase, sortable by time, and fits a Proxmox snapshot name", () => {
    const a = newId(1_700_000_000_000);
    const b = newId(1_700_000_000_001);
    expect(a < b).toBe(true);
    expect(`txbox-${a}`).toMatch(/^[a-z][a-z0-9_-]{1,39}$/);
    expect(idTime(a)).toBe(1_700_000_000_000);
  });
  it("differs between calls at the same instant", () => {
    expect(newId(5)).not.toBe(newId(5));
  });
});
