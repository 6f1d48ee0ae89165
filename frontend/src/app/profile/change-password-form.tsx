"use client";

import { type FormEvent, useState } from "react";

import { ApiError, type User } from "@/api/http";
import { FormAlert, StatusMessage, SubmitButton, TextField, focusFirstError } from "@/components/forms";
import { useSession } from "@/components/session";
import { usersApi } from "@/lib/browser";
import { formFailure } from "@/lib/errors";
import {
  type Errors,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  hasErrors,
  validatePasswordChange,
} from "@/lib/validation";

type Field = "current" | "password" | "confirm";
const EMPTY = { current: "", password: "", confirm: "" };
const WRONG_CURRENT = "The current password is incorrect.";

/** The API ends every session of the user on a password change; this tab signs in
 * again with the new password so the person carries on where they are. */
export function ChangePasswordForm({ user }: { user: User }) {
  const { session } = useSession();
  const [values, setValues] = useState(EMPTY);
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [alert, setAlert] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const set = (field: Field) => (value: string) => setValues((v) => ({ ...v, [field]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = validatePasswordChange(values, user);
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
      });
    } catch (error) {
      const failure = formFailure(error, ["current", "password"] as const, {
        current_password: "current",
        new_password: "password",
      });
      if (error instanceof ApiError && error.kind === "invalid-credentials") {
        failure.fields.current = WRONG_CURRENT;
        failure.form = WRONG_CURRENT;
      }
      setErrors(failure.fields);
      setAlert(failure.form);
      setPending(false);
      resume();
      focusFirstError("password", Object.keys(failure.fields));
      return;
    }
    try {
      const challenged = await session.signIn(user.email, values.password);
      if (challenged) {
        // Two-factor is on: signing in again needs a code, which the sign-in page asks for.
        await session.signOut("Password changed. Sign in with your new password.");
        return;
      }
      setStatus("Password changed. Your other sessions were signed out.");
      setValues(EMPTY);
    } catch {
      await session.signOut("Password changed. Sign in with your new password.");
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
        <SubmitButton pending={pending} label="Change password" pendingLabel="Changing password…" />
        <StatusMessage message={status} />
      </form>
    </section>
  );
}
