"use client";

import { type FormEvent, useState } from "react";

import type { Role, User } from "@/api/http";
import { FormAlert, SubmitButton, TextField, focusFirstError } from "@/components/forms";
import { usersApi } from "@/lib/browser";
import { formFailure } from "@/lib/errors";
import { type Errors, PASSWORD_MIN_LENGTH, hasErrors, validateNewUser } from "@/lib/validation";

type Field = "name" | "email" | "password";
const EMPTY = { name: "", email: "", password: "", role: "user" as Role };

export function CreateUserForm({ onCreated }: { onCreated: (user: User) => void }) {
  const [values, setValues] = useState(EMPTY);
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [alert, setAlert] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const set = (field: Field) => (value: string) => setValues((v) => ({ ...v, [field]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = validateNewUser(values);
    setErrors(found);
    setAlert(null);
    if (hasErrors(found)) {
      focusFirstError("new-user", Object.keys(found));
      return;
    }
    setPending(true);
    try {
      const user = await usersApi().create({
        name: values.name.trim(),
        email: values.email.trim(),
        password: values.password,
        role: values.role,
      });
      setValues(EMPTY);
      onCreated(user);
    } catch (error) {
      const failure = formFailure(error, ["name", "email", "password"] as const);
      setErrors(failure.fields);
      setAlert(failure.form);
      focusFirstError("new-user", Object.keys(failure.fields));
    } finally {
      setPending(false);
    }
  }

  return (
    <section className="card" aria-labelledby="new-user-title">
      <h2 id="new-user-title">Create a user</h2>
      <form onSubmit={submit} noValidate>
        <FormAlert message={alert} />
        <TextField
          id="new-user-name"
          label="Name"
          autoComplete="off"
          value={values.name}
          onChange={set("name")}
          error={errors.name}
        />
        <TextField
          id="new-user-email"
          label="Email"
          type="email"
          autoComplete="off"
          value={values.email}
          onChange={set("email")}
          error={errors.email}
        />
        <TextField
          id="new-user-password"
          label="Initial password"
          type="password"
          autoComplete="new-password"
          hint={`At least ${PASSWORD_MIN_LENGTH} characters. Share it with the person securely.`}
          value={values.password}
          onChange={set("password")}
          error={errors.password}
        />
        <div className="field">
          <label htmlFor="new-user-role">Role</label>
          <select
            id="new-user-role"
            value={values.role}
            onChange={(e) => setValues((v) => ({ ...v, role: e.target.value as Role }))}
          >
            <option value="user">user</option>
            <option value="admin">admin</option>
          </select>
        </div>
        <SubmitButton pending={pending} label="Create user" pendingLabel="Creating user…" />
      </form>
    </section>
  );
}
