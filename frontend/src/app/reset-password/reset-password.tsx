"use client";

import Link from "next/link";
import { type FormEvent, useEffect, useState } from "react";

import { ApiError } from "@/api/http";
import { EmailRequestForm } from "@/components/email-request-form";
import { FormAlert, SubmitButton, TextField, focusFirstError } from "@/components/forms";
import { useHashToken } from "@/components/hash-token";
import { Loading, useSession } from "@/components/session";
import { publicAccountApi } from "@/lib/browser";
import { INVALID_LINK_MESSAGE, formFailure } from "@/lib/errors";
import {
  type Errors,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  hasErrors,
  validateNewPassword,
} from "@/lib/validation";

export const RESET_SENT_MESSAGE =
  "If an account exists for this address, we sent a link; it is valid for 1 hour.";
export const RESET_DONE_MESSAGE = "Password changed; every session was signed out.";

type Field = "password" | "confirm";

/** `/reset-password/`: ask for a link by email; `/reset-password/#token=...` (the link):
 * choose a new password. */
export function ResetPassword() {
  const token = useHashToken();
  // Each link starts afresh (a second link opened in the same tab).
  return <Reset key={token ?? ""} token={token} />;
}

function Reset({ token }: { token: string | null | undefined }) {
  const [invalid, setInvalid] = useState(false);
  const [done, setDone] = useState(false);

  useEffect(() => {
    if (done) document.getElementById("reset-done-title")?.focus();
  }, [done]);
  // The link did not work: the form to ask for a new one replaced the password form.
  useEffect(() => {
    if (invalid) document.getElementById("reset-email")?.focus();
  }, [invalid]);

  return (
    <section className="card narrow" aria-labelledby="reset-title">
      <h1 id="reset-title">Reset your password</h1>
      {token === undefined ? (
        <Loading label="Loading…" />
      ) : done ? (
        <div>
          <h2 id="reset-done-title" tabIndex={-1}>
            Password changed
          </h2>
          <p className="notice" role="status">
            {RESET_DONE_MESSAGE}
          </p>
          <p>
            <Link href="/sign-in/">Sign in with your new password</Link>
          </p>
        </div>
      ) : token && !invalid ? (
        <NewPasswordForm token={token} onInvalid={() => setInvalid(true)} onDone={() => setDone(true)} />
      ) : (
        <>
          {invalid ? <FormAlert message={INVALID_LINK_MESSAGE} /> : null}
          <p>
            Enter the email address of your account and we will send you a link to choose a new
            password.
          </p>
          <EmailRequestForm
            id="reset"
            send={(email) => publicAccountApi().requestPasswordReset(email)}
            label="Send reset link"
            pendingLabel="Sending…"
            sentMessage={RESET_SENT_MESSAGE}
          />
          <p>
            Remembered it? <Link href="/sign-in/">Back to sign in</Link>.
          </p>
        </>
      )}
    </section>
  );
}

function NewPasswordForm({
  token,
  onInvalid,
  onDone,
}: {
  token: string;
  onInvalid: () => void;
  onDone: () => void;
}) {
  const { state, session } = useSession();
  const [values, setValues] = useState({ password: "", confirm: "" });
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [alert, setAlert] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const set = (field: Field) => (value: string) => setValues((v) => ({ ...v, [field]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = validateNewPassword(values);
    setErrors(found);
    setAlert(null);
    if (hasErrors(found)) {
      focusFirstError("reset", Object.keys(found));
      return;
    }
    setPending(true);
    try {
      await publicAccountApi().confirmPasswordReset(token, values.password);
    } catch (error) {
      setPending(false);
      if (error instanceof ApiError && error.kind === "invalid-token") {
        onInvalid();
        return;
      }
      const failure = formFailure(error, ["password"] as const, { new_password: "password" });
      setErrors(failure.fields);
      setAlert(failure.form);
      focusFirstError("reset", Object.keys(failure.fields));
      return;
    }
    // Every session ended, this tab's too: forget it here as well.
    if (state.status === "signed-in") await session.signOut("Password changed. Sign in with your new password.");
    onDone();
  }

  return (
    <form onSubmit={submit} noValidate>
      <FormAlert message={alert} />
      <p>Choose a new password. Every session of your account is signed out when it changes.</p>
      <TextField
        id="reset-password"
        label="New password"
        type="password"
        autoComplete="new-password"
        hint={`${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters.`}
        value={values.password}
        onChange={set("password")}
        error={errors.password}
      />
      <TextField
        id="reset-confirm"
        label="Repeat the new password"
        type="password"
        autoComplete="new-password"
        value={values.confirm}
        onChange={set("confirm")}
        error={errors.confirm}
      />
      <SubmitButton pending={pending} label="Change password" pendingLabel="Changing password…" />
    </form>
  );
}
