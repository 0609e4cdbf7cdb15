// The sync indicator: what to say and which colour, from the client's status.

import type { Connection, SyncStatus } from "../bindings";

export type { Connection, SyncStatus };

export interface Indicator {
  tone: "ok" | "busy" | "offline" | "error";
  label: string;
  details: string[];
}

type T = (key: string, params?: Record<string, string | number>) => string;

export function indicator(status: SyncStatus | null, paired: boolean, t: T): Indicator {
  if (!paired) {
    const details = status && status.unsynced_documents > 0 ? [t("sync.unsynced", { n: status.unsynced_documents })] : [];
    return { tone: "offline", label: t("sync.not_paired"), details };
  }
  if (!status) return { tone: "offline", label: t("sync.offline"), details: [] };
  const details: string[] = [];
  if (status.unsynced_documents > 0) details.push(t("sync.unsynced", { n: status.unsynced_documents }));
  if (status.photos_queued > 0) details.push(t("sync.photos", { n: status.photos_queued }));
  if (status.photos_missing > 0) details.push(t("sync.photos_missing", { n: status.photos_missing }));
  if (status.problem) details.push(status.problem);
  if (status.local_only_documents > 0) details.push(t("sync.local_only", { n: status.local_only_documents }));
  if (status.refused_documents > 0) details.push(t("sync.refused_documents", { n: status.refused_documents }));
  switch (status.connection) {
    case "all_on_server":
      // Photos still uploading mean not everything is on the server yet.
      return status.photos_queued > 0
        ? { tone: "busy", label: t("sync.syncing"), details }
        : { tone: "ok", label: t("sync.all_on_server"), details };
    case "syncing":
      return { tone: "busy", label: t("sync.syncing"), details };
    case "refused":
      // Everything the server accepts is there; it refuses the rest.
      return { tone: "error", label: t("sync.refused"), details };
    case "token_refused":
      return { tone: "error", label: t("sync.token_refused"), details };
    case "device_problem":
      // Part of the work cannot reach the server until this is put right.
      return { tone: "error", label: t("sync.device_problem"), details };
    default:
      return { tone: "offline", label: t("sync.offline"), details };
  }
}
