/** The sessions list: which device is which, in a useful order. */
import type { Schemas } from "@/api/http";

type SessionOut = Schemas["SessionOut"];

/** This device first, then the most recently used. */
export function sortSessions(items: SessionOut[]): SessionOut[] {
  return [...items].sort(
    (a, b) =>
      Number(b.current) - Number(a.current) ||
      Date.parse(b.last_used_at) - Date.parse(a.last_used_at),
  );
}

export function deviceName(item: Pick<SessionOut, "device">): string {
  return item.device.trim() || "Unknown device";
}
