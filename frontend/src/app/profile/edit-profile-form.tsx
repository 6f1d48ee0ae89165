"use client";

import { type FormEvent, useState } from "react";

import { ApiError, type Schemas } from "@/api/http";
import { FormAlert, StatusMessage, SubmitButton, TextField, focusFirstError } from "@/components/forms";
import { useSession } from "@/components/session";
import { usersApi } from "@/lib/browser";
import { formFailure } from "@/lib/errors";
import { type Errors, hasErrors, validateProfile } from "@/lib/validation";

import type { Current } from "./profile";

type Field = "name" | "email" | "current_password";

/** Edits name and email with `If-Match`: if the account changed since it was loaded
 * (another tab, an admin), the API answers 412 and the form offers to reload. A new
 * email needs the current password (the address is where password resets go). */
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
  });
  const emailChanged = values.email.trim().toLowerCase() !== current.user.email;
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [alert, setAlert] = useState<string | null>(null);
  const [stale, setStale] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const set = (field: Field) => (value: string) => setValues((v) => ({ ...v, [field]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found: Errors<Field> = validateProfile(values);
    if (emailChanged && !values.current_password) {
      found.current_password = "Enter your current password to change your email.";
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
      setValues({ name: saved.user.name, email: saved.user.email, current_password: "" });
      setStatus(
        changes.email
          ? "Profile saved. We sent a link to your new address to verify it."
          : "Profile saved.",
      );
    } catch (error) {
      const failure = formFailure(error, ["name", "email", "current_password"] as const);
      const wrongPassword = error instanceof ApiError && error.kind === "invalid-credentials";
      if (wrongPassword) failure.fields.current_password = "The current password is incorrect.";
      setErrors(failure.fields);
      setAlert(wrongPassword ? null : failure.form);
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
      setValues({ name: fresh.user.name, email: fresh.user.email, current_password: "" });
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
        <SubmitButton pending={pending} label="Save changes" pendingLabel="Saving…" />
        <StatusMessage message={status} />
      </form>
    </section>
  );
}
