"use client";

import { type FormEvent, useState } from "react";

import { FormAlert, StatusMessage, SubmitButton, TextField, focusFirstError } from "@/components/forms";
import { formFailure } from "@/lib/errors";
import { checkEmail } from "@/lib/validation";

/** One email field that asks the API to send a link (verification, password reset). The
 * API answers 202 whether or not the account exists, so the message says "if". */
export function EmailRequestForm({
  id,
  send,
  label,
  pendingLabel,
  sentMessage,
  initialEmail = "",
}: {
  id: string;
  send: (email: string) => Promise<void>;
  label: string;
  pendingLabel: string;
  sentMessage: string;
  initialEmail?: string;
}) {
  const [email, setEmail] = useState(initialEmail);
  const [error, setError] = useState<string | undefined>(undefined);
  const [alert, setAlert] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = checkEmail(email);
    setError(found ?? undefined);
    setAlert(null);
    setStatus(null);
    if (found) {
      focusFirstError(id, ["email"]);
      return;
    }
    setPending(true);
    try {
      await send(email.trim());
      setStatus(sentMessage);
    } catch (failure) {
      const { form, fields } = formFailure(failure, ["email"] as const);
      setAlert(form);
      setError(fields.email);
      focusFirstError(id, Object.keys(fields));
    } finally {
      setPending(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <FormAlert message={alert} />
      <TextField
        id={`${id}-email`}
        label="Email"
        type="email"
        autoComplete="email"
        value={email}
        onChange={setEmail}
        error={error}
      />
      <SubmitButton pending={pending} label={label} pendingLabel={pendingLabel} />
      <StatusMessage message={status} />
    </form>
  );
}
