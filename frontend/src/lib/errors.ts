/** Turning API failures into what a person reads next to a form or in an alert. */
import { ApiError } from "@/api/http";

export interface FormFailure<F extends string> {
  /** The message for the whole form (shown in the alert at its top). */
  form: string;
  /** Field messages from the problem's `errors`, for the fields the form has. */
  fields: Partial<Record<F, string>>;
}

function count(n: number, unit: string): string {
  return n === 1 ? `1 ${unit}` : `${n} ${unit}s`;
}

/** A `Retry-After` in words, rounded up so that trying again then works: "45 seconds",
 * "3 minutes", "60 minutes", "2 hours". */
export function waitWords(seconds: number | null): string {
  if (seconds === null || seconds <= 0) return "a moment";
  if (seconds < 60) return count(seconds, "second");
  const minutes = Math.ceil(seconds / 60);
  return minutes <= 90 ? count(minutes, "minute") : count(Math.ceil(minutes / 60), "hour");
}

/** The one wording of a 429: what was refused and how long to wait (from `Retry-After`).
 * Every throttled form says it this way; `what` names the limit when the form knows it. */
export function tooManyMessage(error: ApiError, what = "Too many attempts"): string {
  return `${what}; try again in ${waitWords(error.retryAfter)}.`;
}

/** What a 429 refused, where a form knows more than "too many attempts". */
export const SIGN_UP_THROTTLED = "Too many accounts were created from your network lately";
// The API does not say which limit answered: wrong passwords or codes, or emails sent to
// the old or the new address within the hour.
export const EMAIL_CHANGE_THROTTLED =
  "Your email address cannot be changed right now (too many attempts, or too many emails sent to these addresses lately)";

export function isThrottled(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 429;
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
      return tooManyMessage(error);
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
      return `The service is busy. Try again in ${waitWords(error.retryAfter)}.`;
    default:
      if (error.status === 413) return "That is too much data to send.";
      if (error.status === 429) return tooManyMessage(error);
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

export const WRONG_CURRENT_PASSWORD = "The current password is incorrect.";
export const WRONG_PASSWORD_OR_CODE = "The password or the code is incorrect.";
export const CHECK_PASSWORD = "Check your password.";
export const CHECK_CODE = "Check the code: the current one from your app, or an unused backup code.";

/** The fields of a form that prove it is the user again before a sensitive change. */
export interface ProofFields<F extends string> {
  password: F;
  code: F;
  /** The form asked for a code (the user has two-factor on). */
  withCode: boolean;
}

export interface ReauthFailure<F extends string> extends FormFailure<F> {
  /** The API wants a code the form did not ask for (two-factor was turned on since the
   * page loaded): show the code field, with the API's message on it. */
  needsCode: boolean;
}

/** `formFailure` for a request that re-checks the user's password (and code): a wrong
 * one (401 `invalid-credentials`; the API does not say which of the two) marks the proof
 * fields, a 429 says how long to wait, and a missing code the form did not show asks
 * for it. `fields` must include the code field, shown or not. */
export function reauthFailure<F extends string>(
  error: unknown,
  fields: readonly F[],
  proof: ProofFields<F>,
  aliases: Partial<Record<string, F>> = {},
): ReauthFailure<F> {
  const failure = formFailure(error, fields, aliases);
  if (error instanceof ApiError && error.kind === "invalid-credentials") {
    if (proof.withCode) {
      failure.form = WRONG_PASSWORD_OR_CODE;
      failure.fields[proof.password] = CHECK_PASSWORD;
      failure.fields[proof.code] = CHECK_CODE;
    } else {
      failure.form = WRONG_CURRENT_PASSWORD;
      failure.fields[proof.password] = WRONG_CURRENT_PASSWORD;
    }
  }
  return { ...failure, needsCode: !proof.withCode && failure.fields[proof.code] !== undefined };
}
