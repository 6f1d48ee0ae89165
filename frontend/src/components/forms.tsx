"use client";

import { type ChangeEvent, type ReactNode, useCallback, useEffect, useRef, useState } from "react";

/** A labelled input whose error and hint are tied to it for screen readers. */
export function TextField({
  id,
  label,
  value,
  onChange,
  error,
  hint,
  type = "text",
  autoComplete,
  required = true,
  disabled = false,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
  hint?: string;
  type?: "text" | "email" | "password";
  autoComplete?: string;
  required?: boolean;
  disabled?: boolean;
}) {
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null]
    .filter(Boolean)
    .join(" ");
  return (
    <div className={error ? "field field-invalid" : "field"}>
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      <input
        id={id}
        name={id}
        type={type}
        value={value}
        autoComplete={autoComplete}
        required={required}
        disabled={disabled}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy || undefined}
        onChange={(event: ChangeEvent<HTMLInputElement>) => onChange(event.target.value)}
      />
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function FormAlert({ message, children }: { message: string | null; children?: ReactNode }) {
  if (!message) return null;
  return (
    <div className="alert" role="alert">
      <p>{message}</p>
      {children}
    </div>
  );
}

export function StatusMessage({ message }: { message: string | null }) {
  return (
    <p className="status" role="status" aria-live="polite">
      {message ?? ""}
    </p>
  );
}

export function SubmitButton({
  pending,
  label,
  pendingLabel,
  variant = "primary",
}: {
  pending: boolean;
  label: string;
  pendingLabel: string;
  variant?: "primary" | "danger";
}) {
  return (
    <button type="submit" className={`button button-${variant}`} disabled={pending} aria-busy={pending}>
      {pending ? pendingLabel : label}
    </button>
  );
}

/** Move focus to the first field with an error, so keyboard and screen-reader users
 * land where the fix is needed. */
export function focusFirstError(prefix: string, fields: string[]): void {
  const first = fields[0];
  if (first) document.getElementById(`${prefix}-${first}`)?.focus();
}

/** `focusFirstError` once the next render is on screen: after an API answer, the field
 * to fix may appear only then (a code field the API asked for), and the button that had
 * the focus was disabled while the request ran. */
export function useFocusFirstError(prefix: string): (fields: string[]) => void {
  const pending = useRef<string[] | null>(null);
  const [, rendered] = useState(0);
  useEffect(() => {
    if (pending.current === null) return;
    focusFirstError(prefix, pending.current);
    pending.current = null;
  });
  return useCallback((fields: string[]) => {
    pending.current = fields;
    rendered((n) => n + 1);
  }, []);
}

/** The second-factor code asked again before a sensitive change when two-factor is on:
 * the current code from the authenticator app, or an unused backup code. */
export function CodeField({
  id,
  value,
  onChange,
  error,
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | undefined;
}) {
  return (
    <TextField
      id={id}
      label="Code from your app or a backup code"
      autoComplete="one-time-code"
      hint="6 digits, or a backup code like ABCD-EFGH-JKLM-NPQR."
      value={value}
      onChange={onChange}
      error={error}
    />
  );
}
