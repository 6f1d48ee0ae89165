/**
 * Client-side form checks: quick, friendly feedback before a request. The API stays
 * the authority (it applies the full password policy, e.g. the common-password list)
 * and its field errors are shown the same way.
 */

/** The API's default minimum (PASSWORD_MIN_LENGTH); override at build time with
 * NEXT_PUBLIC_PASSWORD_MIN_LENGTH when the API is configured differently. */
export const PASSWORD_MIN_LENGTH = Number(process.env.NEXT_PUBLIC_PASSWORD_MIN_LENGTH ?? 15);
export const PASSWORD_MAX_LENGTH = 128;
export const NAME_MAX_LENGTH = 100;
export const EMAIL_MAX_LENGTH = 254;

export type Errors<F extends string> = Partial<Record<F, string>>;

/** Length as the API counts it: Unicode code points after NFC normalization. */
export function codePoints(value: string): number {
  return Array.from(value.normalize("NFC")).length;
}

export function checkEmail(value: string): string | null {
  const email = value.trim();
  if (!email) return "Enter your email address.";
  if (email.length > EMAIL_MAX_LENGTH) return `Use at most ${EMAIL_MAX_LENGTH} characters.`;
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    return "Enter an email address like ann@example.com.";
  }
  return null;
}

export function checkName(value: string): string | null {
  const name = value.trim();
  if (!name) return "Enter a name.";
  if (codePoints(name) > NAME_MAX_LENGTH) return `Use at most ${NAME_MAX_LENGTH} characters.`;
  return null;
}

export function checkNewPassword(
  value: string,
  identity: { email?: string; name?: string } = {},
): string | null {
  const length = codePoints(value);
  if (length === 0) return "Choose a password.";
  if (length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters.`;
  const lowered = value.trim().toLowerCase();
  const same = [identity.email, identity.name].some((v) => v && v.trim().toLowerCase() === lowered);
  if (same) return "The password must not be your email or your name.";
  return null;
}

function collect<F extends string>(checks: Record<F, string | null>): Errors<F> {
  const errors: Errors<F> = {};
  for (const field of Object.keys(checks) as F[]) {
    const message = checks[field];
    if (message) errors[field] = message;
  }
  return errors;
}

export function validateSignUp(values: {
  name: string;
  email: string;
  password: string;
  confirm: string;
}): Errors<"name" | "email" | "password" | "confirm"> {
  return collect({
    name: checkName(values.name),
    email: checkEmail(values.email),
    password: checkNewPassword(values.password, values),
    confirm:
      values.confirm === values.password ? null : "The passwords do not match.",
  });
}

export function validateSignIn(values: {
  email: string;
  password: string;
}): Errors<"email" | "password"> {
  return collect({
    email: checkEmail(values.email),
    password: values.password ? null : "Enter your password.",
  });
}

export function validateProfile(values: { name: string; email: string }): Errors<"name" | "email"> {
  return collect({ name: checkName(values.name), email: checkEmail(values.email) });
}

/** `withCode`: two-factor is on, so the API wants a code (app or backup) as well. */
export function validatePasswordChange(
  values: { current: string; password: string; confirm: string; code?: string },
  identity: { email: string; name: string },
  { withCode = false } = {},
): Errors<"current" | "password" | "confirm" | "code"> {
  return collect({
    current: values.current ? null : "Enter your current password.",
    password:
      checkNewPassword(values.password, identity) ??
      (values.password === values.current ? "Choose a password you have not used here." : null),
    confirm: values.confirm === values.password ? null : "The passwords do not match.",
    code: withCode ? checkCode(values.code ?? "", { backup: true }) : null,
  });
}

export function validateNewUser(values: {
  name: string;
  email: string;
  password: string;
}): Errors<"name" | "email" | "password"> {
  return collect({
    name: checkName(values.name),
    email: checkEmail(values.email),
    password: checkNewPassword(values.password, values),
  });
}

/** A new password chosen without the current one (password reset link). */
export function validateNewPassword(values: {
  password: string;
  confirm: string;
}): Errors<"password" | "confirm"> {
  return collect({
    password: checkNewPassword(values.password),
    confirm: values.confirm === values.password ? null : "The passwords do not match.",
  });
}

/** A one-time code as typed: spaces (and a space-grouped app code) removed. */
export function normalizeCode(value: string): string {
  return value.replace(/\s+/g, "");
}

const APP_CODE = /^\d{6}$/;
const BACKUP_CODE = /^[A-Za-z0-9]{4}(-[A-Za-z0-9]{4}){3}$/;

/** A 6-digit authenticator code, or (`backup` allowed) a backup code XXXX-XXXX-XXXX-XXXX. */
export function checkCode(value: string, { backup = false } = {}): string | null {
  const code = normalizeCode(value);
  if (!code) return backup ? "Enter the code from your app or a backup code." : "Enter the code from your app.";
  if (APP_CODE.test(code) || (backup && BACKUP_CODE.test(code))) return null;
  return backup
    ? "Enter the 6-digit code from your app, or a backup code like ABCD-EFGH-JKLM-NPQR."
    : "Enter the 6-digit code from your app.";
}

/** Proving it is you again before a sensitive change (deleting the account, a new
 * email): the current password, and with two-factor on (`withCode`) a code from the app
 * or a backup code. */
export function validateProof(
  values: { password: string; code: string },
  withCode: boolean,
): Errors<"password" | "code"> {
  return collect({
    password: values.password ? null : "Enter your current password.",
    code: withCode ? checkCode(values.code, { backup: true }) : null,
  });
}

export function validateTwoFactorOff(values: {
  password: string;
  code: string;
}): Errors<"password" | "code"> {
  return collect({
    password: values.password ? null : "Enter your password.",
    code: checkCode(values.code, { backup: true }),
  });
}

export function hasErrors(errors: object): boolean {
  return Object.keys(errors).length > 0;
}
