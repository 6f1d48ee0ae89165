"use client";

import { type FormEvent, useState } from "react";

import type { User } from "@/api/http";
import {
  CodeField,
  FormAlert,
  StatusMessage,
  SubmitButton,
  TextField,
  focusFirstError,
  useFocusFirstError,
} from "@/components/forms";
import { useSession, useSignOutWith } from "@/components/session";
import { usersApi } from "@/lib/browser";
import { reauthFailure } from "@/lib/errors";
import { PASSWORD_CHANGED } from "@/lib/session";
import {
  type Errors,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  hasErrors,
  normalizeCode,
  validatePasswordChange,
} from "@/lib/validation";

type Field = "current" | "password" | "confirm" | "code";
const EMPTY = { current: "", password: "", confirm: "", code: "" };

/** The API ends every session of the user on a password change, this one included.
 * Without two-factor this tab signs in again with the new password so the person
 * carries on where they are; with two-factor on (the change needs a code too) that
 * would need a fresh code, so the tab signs out and the sign-in page asks for both. */
export function ChangePasswordForm({ user }: { user: User }) {
  const { session } = useSession();
  const signOutWith = useSignOutWith();
  // The API may ask for a code the page did not know about (two-factor turned on since).
  const [codeAsked, setCodeAsked] = useState(false);
  const withCode = user.two_factor_enabled || codeAsked;
  const [values, setValues] = useState(EMPTY);
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [alert, setAlert] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const focusError = useFocusFirstError("password");
  const set = (field: Field) => (value: string) => setValues((v) => ({ ...v, [field]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = validatePasswordChange(values, user, { withCode });
    setErrors(found);
    setAlert(null);
    setStatus(null);
    if (hasErrors(found)) {
      focusFirstError("password", Object.keys(found));
      return;
    }
    setPending(true);
    const resume = session.pauseRefresh();
    try {
      await usersApi().changePassword({
        current_password: values.current,
        new_password: values.password,
        ...(withCode ? { code: normalizeCode(values.code) } : {}),
      });
    } catch (error) {
      const failure = reauthFailure(
        error,
        ["current", "password", "code"] as const,
        { password: "current", code: "code", withCode },
        { current_password: "current", new_password: "password" },
      );
      if (failure.needsCode) setCodeAsked(true);
      setErrors(failure.fields);
      setAlert(failure.form);
      setValues((v) => ({ ...v, code: "" }));
      setPending(false);
      resume();
      focusError(Object.keys(failure.fields));
      return;
    }
    if (withCode) {
      await signOutWith(PASSWORD_CHANGED);
      return;
    }
    try {
      const challenged = await session.signIn(user.email, values.password);
      if (challenged) {
        // Two-factor was turned on meanwhile: the sign-in page asks for the code.
        await signOutWith(PASSWORD_CHANGED);
        return;
      }
      setStatus("Password changed. Your other sessions were signed out.");
      setValues(EMPTY);
    } catch {
      await signOutWith(PASSWORD_CHANGED);
    } finally {
      setPending(false);
    }
  }

  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <form onSubmit={submit} noValidate>
        <FormAlert message={alert} />
        {/* Lets password managers pair the new password with the account. */}
        <input type="email" name="username" autoComplete="username" value={user.email} readOnly hidden />
        <TextField
          id="password-current"
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={values.current}
          onChange={set("current")}
          error={errors.current}
        />
        <TextField
          id="password-password"
          label="New password"
          type="password"
          autoComplete="new-password"
          hint={`${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters. Every other session is signed out.`}
          value={values.password}
          onChange={set("password")}
          error={errors.password}
        />
        <TextField
          id="password-confirm"
          label="Repeat the new password"
          type="password"
          autoComplete="new-password"
          value={values.confirm}
          onChange={set("confirm")}
          error={errors.confirm}
        />
        {withCode ? (
          <CodeField id="password-code" value={values.code} onChange={set("code")} error={errors.code} />
        ) : null}
        <SubmitButton pending={pending} label="Change password" pendingLabel="Changing password…" />
        <StatusMessage message={status} />
      </form>
    </section>
  );
}
