"use client";

import { type FormEvent, useState } from "react";

import { ApiError, type Schemas } from "@/api/http";
import { FormAlert, StatusMessage, SubmitButton, TextField, focusFirstError } from "@/components/forms";
import { useSession } from "@/components/session";
import { usersApi } from "@/lib/browser";
import { formFailure } from "@/lib/errors";
import { type Errors, hasErrors, validateProfile } from "@/lib/validation";

import type { Current } from "./profile";

type Field = "name" | "email";

/** Edits name and email with `If-Match`: if the account changed since it was loaded
 * (another tab, an admin), the API answers 412 and the form offers to reload. */
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
  const [values, setValues] = useState({ name: current.user.name, email: current.user.email });
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [alert, setAlert] = useState<string | null>(null);
  const [stale, setStale] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const set = (field: Field) => (value: string) => setValues((v) => ({ ...v, [field]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = validateProfile(values);
    setErrors(found);
    setAlert(null);
    setStatus(null);
    if (hasErrors(found)) {
      focusFirstError("profile", Object.keys(found));
      return;
    }
    const changes: Schemas["UpdateUserIn"] = {};
    if (values.name.trim() !== current.user.name) changes.name = values.name.trim();
    if (values.email.trim().toLowerCase() !== current.user.email) changes.email = values.email.trim();
    if (Object.keys(changes).length === 0) {
      setStatus("Nothing to save: the profile is unchanged.");
      return;
    }
    setPending(true);
    try {
      const saved = await usersApi().update(current.user.id, current.etag, changes);
      onSaved(saved);
      session.updateUser(saved.user);
      setValues({ name: saved.user.name, email: saved.user.email });
      setStatus("Profile saved.");
    } catch (error) {
      const failure = formFailure(error, ["name", "email"] as const);
      setErrors(failure.fields);
      setAlert(failure.form);
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
      setValues({ name: fresh.user.name, email: fresh.user.email });
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
        <SubmitButton pending={pending} label="Save changes" pendingLabel="Saving…" />
        <StatusMessage message={status} />
      </form>
    </section>
  );
}
