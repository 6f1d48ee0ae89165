"use client";

import { useState } from "react";

import type { User } from "@/api/http";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { CodeField, FormAlert, TextField, useFocusFirstError } from "@/components/forms";
import { useSession, useSignOutWith } from "@/components/session";
import { usersApi } from "@/lib/browser";
import { reauthFailure } from "@/lib/errors";
import { ACCOUNT_DELETED } from "@/lib/session";
import { type Errors, hasErrors, normalizeCode, validateProof } from "@/lib/validation";

type Field = "password" | "code";
const EMPTY = { password: "", code: "" };

/** Deleting your own account (from the profile, or an admin's own row in the user list).
 * An access token alone is not enough: the dialog asks for the current password, and a
 * code when two-factor is on, which the API checks (throttled). Afterwards every session
 * has ended, so this tab signs out and goes to the sign-in page. */
export function DeleteOwnAccountDialog({
  user,
  open,
  onClose,
}: {
  user: User;
  open: boolean;
  onClose: () => void;
}) {
  const { session } = useSession();
  const signOutWith = useSignOutWith();
  const [values, setValues] = useState(EMPTY);
  // The API may ask for a code the page did not know about (two-factor turned on since).
  const [codeAsked, setCodeAsked] = useState(false);
  const withCode = user.two_factor_enabled || codeAsked;
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [alert, setAlert] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const focusError = useFocusFirstError("delete");
  const set = (field: Field) => (value: string) => setValues((v) => ({ ...v, [field]: value }));

  function cancel() {
    setValues(EMPTY);
    setErrors({});
    setAlert(null);
    onClose();
  }

  async function confirm() {
    const found = validateProof(values, withCode);
    setErrors(found);
    setAlert(null);
    if (hasErrors(found)) {
      focusError(Object.keys(found));
      return;
    }
    setPending(true);
    // Deleting ends every session: a refresh racing it would fail and end the session
    // with a confusing notice before this one.
    const resume = session.pauseRefresh();
    try {
      await usersApi().remove(user.id, {
        current_password: values.password,
        ...(withCode ? { code: normalizeCode(values.code) } : {}),
      });
    } catch (error) {
      resume();
      const failure = reauthFailure(error, ["password", "code"] as const, {
        password: "password",
        code: "code",
        withCode,
      }, { current_password: "password" });
      if (failure.needsCode) setCodeAsked(true);
      setErrors(failure.fields);
      setAlert(failure.form);
      setValues((v) => ({ ...v, code: "" }));
      setPending(false);
      focusError(Object.keys(failure.fields));
      return;
    }
    await signOutWith(ACCOUNT_DELETED);
  }

  return (
    <ConfirmDialog
      open={open}
      title="Delete your account?"
      confirmLabel="Delete my account"
      pending={pending}
      onConfirm={confirm}
      onCancel={cancel}
    >
      <p>
        The account <strong>{user.email}</strong> and all its sessions will be deleted. This
        cannot be undone.
      </p>
      <FormAlert message={alert} />
      {/* Lets password managers fill in the password of this account. */}
      <input type="email" name="username" autoComplete="username" value={user.email} readOnly hidden />
      <TextField
        id="delete-password"
        label="Current password"
        type="password"
        autoComplete="current-password"
        hint="Confirm it is you."
        value={values.password}
        onChange={set("password")}
        error={errors.password}
      />
      {withCode ? (
        <CodeField id="delete-code" value={values.code} onChange={set("code")} error={errors.code} />
      ) : null}
    </ConfirmDialog>
  );
}
