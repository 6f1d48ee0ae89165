/** Turning API failures into what a person reads next to a form or in an alert. */
import { ApiError } from "@/api/http";

export interface FormFailure<F extends string> {
  /** The message for the whole form (shown in the alert at its top). */
  form: string;
  /** Field messages from the problem's `errors`, for the fields the form has. */
  fields: Partial<Record<F, string>>;
}

function seconds(n: number | null): string {
  if (n === null) return "a moment";
  return n === 1 ? "1 second" : `${n} seconds`;
}

export const STALE_MESSAGE =
  "Someone changed this account (in another tab, or an admin) after you opened it. " +
  "Reload it to see the latest version, then make your change again.";

export const INVALID_LINK_MESSAGE =
  "This link is invalid or has expired (each link works once). Ask for a new one below.";
export const INVALID_CODE_MESSAGE =
  "That code is not right. Enter the current code from your authenticator app, or an unused backup code.";
export const EMAIL_UNVERIFIED_MESSAGE =
  "Verify your email address first: open the link we sent you, or ask for a new one.";

export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return "Something went wrong. Please try again.";
  switch (error.kind) {
    case "network-error":
      return "The server could not be reached. Check your connection and try again.";
    case "invalid-credentials":
      return error.problem.detail ?? "The email or password is incorrect.";
    case "email-taken":
      return "An account with this email already exists.";
    case "too-many-attempts":
      return `Too many attempts. Try again in ${seconds(error.retryAfter)}.`;
    case "stale-version":
      return STALE_MESSAGE;
    case "last-admin":
      return "The last admin cannot be demoted or deleted.";
    case "forbidden":
      return "You are not allowed to do this.";
    case "not-found":
      return "This user no longer exists.";
    case "unauthenticated":
      return "Your session has ended. Please sign in again.";
    case "invalid-input":
      return "Please correct the fields marked below.";
    case "invalid-token":
      return INVALID_LINK_MESSAGE;
    case "invalid-code":
      return INVALID_CODE_MESSAGE;
    case "email-unverified":
      return EMAIL_UNVERIFIED_MESSAGE;
    case "two-factor-state":
      return "Two-factor authentication was changed meanwhile (in another tab?). Reload the page.";
    case "store-unavailable":
    case "service-busy":
      return `The service is busy. Try again in ${seconds(error.retryAfter)}.`;
    default:
      if (error.status === 413) return "That is too much data to send.";
      return error.problem.detail ?? error.problem.title;
  }
}

/** Split a failure into the form's alert and its fields' messages. Server field names
 * are mapped with `aliases` (e.g. `new_password` → `password`); field errors the form
 * has no field for are added to the alert. */
export function formFailure<F extends string>(
  error: unknown,
  fields: readonly F[],
  aliases: Partial<Record<string, F>> = {},
): FormFailure<F> {
  const found: Partial<Record<F, string>> = {};
  const other: string[] = [];
  if (error instanceof ApiError) {
    for (const [name, message] of Object.entries(error.fieldErrors())) {
      const field = aliases[name] ?? (fields as readonly string[]).find((f) => f === name);
      if (field) found[field as F] = message;
      else other.push(message);
    }
  }
  if (error instanceof ApiError && error.kind === "email-taken" && fields.includes("email" as F)) {
    found["email" as F] = "An account with this email already exists.";
  }
  const form = [describeError(error), ...other].join(" ");
  return { form, fields: found };
}
