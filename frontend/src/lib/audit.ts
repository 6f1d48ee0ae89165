/** Audit events in words: what happened, for the activity lists. */
import type { Schemas } from "@/api/http";

type AuditEventOut = Schemas["AuditEventOut"];

export const EVENT_LABELS = {
  sign_up: "Account created (sign-up)",
  "sign_in.succeeded": "Signed in",
  "sign_in.failed": "Failed sign-in attempt",
  "sign_in.challenged": "Password accepted, code requested",
  "two_factor.failed": "Wrong two-factor code",
  "refresh.reused": "Reused session token detected: session ended",
  "session.revoked": "Session signed out",
  "session.others_revoked": "Signed out everywhere else",
  "password.changed": "Password changed",
  "password.reset_requested": "Password reset requested",
  "password.reset": "Password reset",
  "email.verified": "Email address verified",
  "email.changed": "Email address changed",
  "two_factor.enabled": "Two-factor authentication turned on",
  "two_factor.disabled": "Two-factor authentication turned off",
  "two_factor.backup_code_used": "Backup code used",
  "user.created": "Account created by an admin",
  "user.role_changed": "Role changed",
  "user.deleted": "Account deleted",
} as const satisfies Record<string, string>;

/** The event types this page has words for. The API types `type` as a plain string
 * (a newer server may send others), so this list is the page's own. */
export type AuditEventType = keyof typeof EVENT_LABELS;

/** Failures and alarms, shown with a marker. */
const WARNINGS = new Set<string>(["sign_in.failed", "two_factor.failed", "refresh.reused"]);

export function eventLabel(type: string): string {
  if (Object.hasOwn(EVENT_LABELS, type)) return EVENT_LABELS[type as AuditEventType];
  // An event type newer than this page: readable rather than hidden.
  const words = type.replace(/[._]+/g, " ").trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : "Unknown event";
}

export function isWarning(type: string): boolean {
  return WARNINGS.has(type);
}

/** `details` as "key: value" lines, keys in words, sorted for a stable order. */
export function detailLines(event: Pick<AuditEventOut, "details">): string[] {
  return Object.entries(event.details ?? {})
    .filter(([, value]) => value !== "")
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key.replace(/_/g, " ")}: ${value}`);
}

/** Someone else (an admin) did it. */
export function byOther(event: Pick<AuditEventOut, "actor_id" | "user_id">): boolean {
  return event.actor_id !== null && event.actor_id !== event.user_id;
}

/** Append a further page, dropping events already shown (a page boundary that moved). */
export function appendEvents(shown: AuditEventOut[], page: AuditEventOut[]): AuditEventOut[] {
  const seen = new Set(shown.map((event) => event.id));
  return [...shown, ...page.filter((event) => !seen.has(event.id))];
}
