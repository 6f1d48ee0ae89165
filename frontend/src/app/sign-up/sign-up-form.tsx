"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useEffect, useState } from "react";

import { FormAlert, SubmitButton, TextField, focusFirstError } from "@/components/forms";
import { Loading, useSession } from "@/components/session";
import { SIGN_UP_THROTTLED, formFailure, isThrottled, tooManyMessage } from "@/lib/errors";
import { DEFAULT_PAGE } from "@/lib/redirect";
import {
  type Errors,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  hasErrors,
  validateSignUp,
} from "@/lib/validation";

type Field = "name" | "email" | "password" | "confirm";

export function SignUpForm() {
  const { state, session } = useSession();
  const router = useRouter();
  const [values, setValues] = useState({ name: "", email: "", password: "", confirm: "" });
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [alert, setAlert] = useState<string | null>(null);
  // The address a link went to, when the server wants it verified before any sign-in.
  const [verifyFirst, setVerifyFirst] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const set = (field: Field) => (value: string) => setValues((v) => ({ ...v, [field]: value }));

  const signedIn = state.status === "signed-in";
  useEffect(() => {
    if (signedIn) router.replace(DEFAULT_PAGE);
  }, [signedIn, router]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = validateSignUp(values);
    setErrors(found);
    setAlert(null);
    if (hasErrors(found)) {
      focusFirstError("sign-up", Object.keys(found));
      return;
    }
    setPending(true);
    try {
      const signedIn = await session.signUp(
        values.email.trim(),
        values.password,
        values.name.trim(),
      );
      if (!signedIn) {
        setVerifyFirst(values.email.trim());
        setPending(false);
      }
    } catch (error) {
      const failure = formFailure(error, ["name", "email", "password"] as const);
      if (isThrottled(error)) failure.form = tooManyMessage(error, SIGN_UP_THROTTLED);
      setErrors(failure.fields);
      setAlert(failure.form);
      setPending(false);
      focusFirstError("sign-up", Object.keys(failure.fields));
    }
  }

  if (state.status === "loading" || signedIn) return <Loading label="Loading your session…" />;
  if (verifyFirst !== null) {
    return (
      <section className="card narrow" aria-labelledby="sign-up-title">
        <h1 id="sign-up-title">Check your email</h1>
        <p role="status">
          We sent a link to {verifyFirst}. Follow it to verify your address, then{" "}
          <Link href="/sign-in/">sign in</Link>.
        </p>
      </section>
    );
  }
  return (
    <section className="card narrow" aria-labelledby="sign-up-title">
      <h1 id="sign-up-title">Create an account</h1>
      <form onSubmit={submit} noValidate>
        <FormAlert message={alert} />
        <TextField
          id="sign-up-name"
          label="Name"
          autoComplete="name"
          value={values.name}
          onChange={set("name")}
          error={errors.name}
        />
        <TextField
          id="sign-up-email"
          label="Email"
          type="email"
          autoComplete="email"
          value={values.email}
          onChange={set("email")}
          error={errors.email}
        />
        <TextField
          id="sign-up-password"
          label="Password"
          type="password"
          autoComplete="new-password"
          hint={`${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters. A few unrelated words make a strong one.`}
          value={values.password}
          onChange={set("password")}
          error={errors.password}
        />
        <TextField
          id="sign-up-confirm"
          label="Repeat the password"
          type="password"
          autoComplete="new-password"
          value={values.confirm}
          onChange={set("confirm")}
          error={errors.confirm}
        />
        <SubmitButton pending={pending} label="Create account" pendingLabel="Creating account…" />
      </form>
      <p>
        Already have an account? <Link href="/sign-in/">Sign in</Link>.
      </p>
    </section>
  );
}
