import { describe, expect, it } from "vitest";
import { indicator, type SyncStatus } from "./status";

const t = (key: string, p: Record<string, string | number> = {}) =>
  key + (Object.keys(p).length ? JSON.stringify(p) : "");
const base: SyncStatus = { connection: "all_on_server", unsynced_documents: 0, photos_queued: 0, photos_missing: 0, problem: null, local_only_documents: 0, refused_documents: 0 };

describe("sync indicator", () => {
  it("says everything is on the server only when nothing waits", () => {
    expect(indicator(base, true, t)).toEqual({ tone: "ok", label: "sync.all_on_server", details: [] });
    const photos = indicator({ ...base, photos_queued: 2 }, true, t);
    expect(photos.tone).toBe("busy");
    expect(photos.details).toEqual(['sync.photos{"n":2}']);
  });

  it("shows counts while offline", () => {
    const off = indicator({ ...base, connection: "offline", unsynced_documents: 3 }, true, t);
    expect(off).toEqual({ tone: "offline", label: "sync.offline", details: ['sync.unsynced{"n":3}'] });
  });

  it("says a missing photo or unreadable records are a problem on the device", () => {
    const missing = indicator({ ...base, connection: "device_problem", photos_missing: 1 }, true, t);
    expect(missing).toEqual({ tone: "error", label: "sync.device_problem", details: ['sync.photos_missing{"n":1}'] });
    const unreadable = indicator({ ...base, connection: "device_problem", problem: "the photo queue could not be read" }, true, t);
    expect(unreadable.details).toEqual(["the photo queue could not be read"]);
  });

  it("says a refused token is an error", () => {
    expect(indicator({ ...base, connection: "token_refused" }, true, t).tone).toBe("error");
  });

  it("tells changes the server refuses apart from changes on their way", () => {
    const refused = indicator({ ...base, connection: "refused", refused_documents: 1 }, true, t);
    expect(refused).toEqual({ tone: "error", label: "sync.refused", details: ['sync.refused_documents{"n":1}'] });
    const both = indicator({ ...base, connection: "syncing", unsynced_documents: 2, refused_documents: 1 }, true, t);
    expect(both.tone).toBe("busy");
    expect(both.details).toEqual(['sync.unsynced{"n":2}', 'sync.refused_documents{"n":1}']);
  });

  it("says an unpaired device keeps data locally", () => {
    expect(indicator(base, false, t).label).toBe("sync.not_paired");
    expect(indicator(null, true, t).label).toBe("sync.offline");
  });
});
