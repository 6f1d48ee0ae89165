"use client";

import { type FormEvent, useState } from "react";

import { ApiError, type Schemas } from "@/api/http";
import {
  CodeField,
  FormAlert,
  StatusMessage,
  SubmitButton,
  TextField,
  focusFirstError,
} from "@/components/forms";
import { useSession } from "@/components/session";
import { usersApi } from "@/lib/browser";
import { EMAIL_CHANGE_THROTTLED, isThrottled, reauthFailure, tooManyMessage } from "@/lib/errors";
import { type Errors, hasErrors, normalizeCode, validateProfile, validateProof } from "@/lib/validation";

import type { Current } from "./profile";

type Field = "name" | "email" | "current_password" | "code";
const FIELDS = ["name", "email", "current_password", "code"] as const;

/** Edits name and email with `If-Match`: if the account changed since it was loaded
 * (another tab, an admin), the API answers 412 and the form offers to reload. A new
 * email needs the current password, and a code with two-factor on (the address is
 * where password resets go). */
export function EditProfileForm({
  current,
  onSaved,
  reload,
}: {
  current: Current;
  onSaved: (current: Current) => void;
  reload: () => Promise<Current | null>;
}) {
  const { session } = useSession();
  const [values, setValues] = useState({
    name: current.user.name,
    email: current.user.email,
    current_password: "",
    code: "",
  });
  const emailChanged = values.email.trim().toLowerCase() !== current.user.email;
  // The API may ask for a code the page did not know about (two-factor turned on since).
  const [codeAsked, setCodeAsked] = useState(false);
  const withCode = current.user.two_factor_enabled || codeAsked;
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [alert, setAlert] = useState<string | null>(null);
  const [stale, setStale] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const set = (field: Field) => (value: string) => setValues((v) => ({ ...v, [field]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found: Errors<Field> = validateProfile(values);
    if (emailChanged) {
      const proof = validateProof({ password: values.current_password, code: values.code }, withCode);
      if (proof.password) found.current_password = "Enter your current password to change your email.";
      if (proof.code) found.code = proof.code;
    }
    setErrors(found);
    setAlert(null);
    setStatus(null);
    if (hasErrors(found)) {
      focusFirstError("profile", Object.keys(found));
      return;
    }
    const changes: Schemas["UpdateUserIn"] = {};
    if (values.name.trim() !== current.user.name) changes.name = values.name.trim();
    if (emailChanged) {
      changes.email = values.email.trim();
      changes.current_password = values.current_password;
      if (withCode) changes.code = normalizeCode(values.code);
    }
    if (Object.keys(changes).length === 0) {
      setStatus("Nothing to save: the profile is unchanged.");
      return;
    }
    setPending(true);
    try {
      const saved = await usersApi().update(current.user.id, current.etag, changes);
      onSaved(saved);
      session.updateUser(saved.user);
      setValues({ name: saved.user.name, email: saved.user.email, current_password: "", code: "" });
      setStatus(
        changes.email
          ? "Profile saved. We sent a link to your new address to verify it."
          : "Profile saved.",
      );
    } catch (error) {
      const failure = reauthFailure(error, FIELDS, {
        password: "current_password",
        code: "code",
        withCode,
      });
      if (failure.needsCode) setCodeAsked(true);
      const wrongSecret = error instanceof ApiError && error.kind === "invalid-credentials";
      if (isThrottled(error) && changes.email) {
        failure.form = tooManyMessage(error, EMAIL_CHANGE_THROTTLED);
      }
      setErrors(failure.fields);
      // A wrong password alone is said on its field; with a code, the alert says which two.
      setAlert(wrongSecret && !withCode ? null : failure.form);
      setValues((v) => ({ ...v, code: "" }));
      setStale(error instanceof ApiError && error.kind === "stale-version");
    } finally {
      setPending(false);
    }
  }

  async function reloadLatest() {
    const fresh = await reload();
    if (fresh) {
      setStale(false);
      setAlert(null);
      setErrors({});
      setValues({ name: fresh.user.name, email: fresh.user.email, current_password: "", code: "" });
      setStatus("Loaded the latest version of your profile.");
    }
  }

  return (
    <section className="card" aria-labelledby="edit-profile-title">
      <h2 id="edit-profile-title">Edit profile</h2>
      <form onSubmit={submit} noValidate>
        <FormAlert message={alert}>
          {stale ? (
            <button type="button" className="button" onClick={reloadLatest}>
              Reload profile
            </button>
          ) : null}
        </FormAlert>
        <TextField
          id="profile-name"
          label="Name"
          autoComplete="name"
          value={values.name}
          onChange={set("name")}
          error={errors.name}
        />
        <TextField
          id="profile-email"
          label="Email"
          type="email"
          autoComplete="email"
          value={values.email}
          onChange={set("email")}
          error={errors.email}
        />
        {emailChanged ? (
          <TextField
            id="profile-current_password"
            label="Current password"
            type="password"
            autoComplete="current-password"
            value={values.current_password}
            onChange={set("current_password")}
            error={errors.current_password}
          />
        ) : null}
        {emailChanged && withCode ? (
          <CodeField id="profile-code" value={values.code} onChange={set("code")} error={errors.code} />
        ) : null}
        <SubmitButton pending={pending} label="Save changes" pendingLabel="Saving…" />
        <StatusMessage message={status} />
      </form>
    </section>
  );
}
