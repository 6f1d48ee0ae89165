/** Audit events in words: what happened, for the activity lists. */
import type { Schemas } from "@/api/http";

type AuditEventOut = Schemas["AuditEventOut"];

export const EVENT_LABELS = {
  sign_up: "Account created (sign-up)",
  "sign_in.succeeded": "Signed in",
  "sign_in.failed": "Failed sign-in attempt",
  "sign_in.challenged": "Password accepted, code requested",
  "two_factor.failed": "Wrong two-factor code",
  "reauthentication.failed": "Wrong password or code",
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

/** What a signed-in user was doing when a password or code check failed
 * (`details.operation` of `reauthentication.failed` and `two_factor.failed`). */
export const OPERATION_WORDS = {
  sign_in: "signing in",
  change_password: "changing the password",
  change_email: "changing the email address",
  delete_account: "deleting the account",
  enroll_two_factor: "turning on two-factor authentication",
  confirm_two_factor: "confirming two-factor authentication",
  disable_two_factor: "turning off two-factor authentication",
} as const satisfies Record<string, string>;

/** Failures and alarms, shown with a marker. */
const WARNINGS = new Set<string>([
  "sign_in.failed",
  "two_factor.failed",
  "reauthentication.failed",
  "refresh.reused",
]);

export function eventLabel(type: string): string {
  if (Object.hasOwn(EVENT_LABELS, type)) return EVENT_LABELS[type as AuditEventType];
  // An event type newer than this page: readable rather than hidden.
  const words = type.replace(/[._]+/g, " ").trim();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : "Unknown event";
}

function operationWords(event: Pick<AuditEventOut, "details">): string | null {
  const operation = event.details?.operation;
  return typeof operation === "string" && Object.hasOwn(OPERATION_WORDS, operation)
    ? OPERATION_WORDS[operation as keyof typeof OPERATION_WORDS]
    : null;
}

/** The headline of an event: its label, and for a failed check what the user was
 * doing ("Wrong password or code when changing the password"). */
export function eventTitle(event: Pick<AuditEventOut, "type" | "details">): string {
  const label = eventLabel(event.type);
  const doing = operationWords(event);
  return doing ? `${label} when ${doing}` : label;
}

export function isWarning(type: string): boolean {
  return WARNINGS.has(type);
}

/** `details` as "key: value" lines, keys in words, sorted for a stable order; an
 * operation already in the title (see `eventTitle`) is not repeated. */
export function detailLines(event: Pick<AuditEventOut, "details">): string[] {
  const titled = operationWords(event) !== null;
  return Object.entries(event.details ?? {})
    .filter(([key, value]) => value !== "" && !(titled && key === "operation"))
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
