"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useEffect, useState } from "react";

import { FormAlert, SubmitButton, TextField, focusFirstError } from "@/components/forms";
import { Loading, nextPath, useSession } from "@/components/session";
import { type Errors, hasErrors, validateSignIn } from "@/lib/validation";
import { formFailure } from "@/lib/errors";

type Field = "email" | "password";

export function SignInForm() {
  const { state, session } = useSession();
  const router = useRouter();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [alert, setAlert] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  const signedIn = state.status === "signed-in";
  useEffect(() => {
    if (signedIn) router.replace(nextPath());
  }, [signedIn, router]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = validateSignIn({ email, password });
    setErrors(found);
    setAlert(null);
    if (hasErrors(found)) {
      focusFirstError("sign-in", Object.keys(found));
      return;
    }
    setPending(true);
    try {
      await session.signIn(email.trim(), password);
    } catch (error) {
      const failure = formFailure(error, ["email", "password"] as const);
      setErrors(failure.fields);
      setAlert(failure.form);
      setPassword("");
      setPending(false);
    }
  }

  if (state.status === "loading" || signedIn) return <Loading label="Loading your session…" />;
  return (
    <section className="card narrow" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      {state.notice ? (
        <p className="notice" role="status">
          {state.notice}
        </p>
      ) : null}
      <form onSubmit={submit} noValidate aria-describedby={alert ? "sign-in-alert" : undefined}>
        <div id="sign-in-alert">
          <FormAlert message={alert} />
        </div>
        <TextField
          id="sign-in-email"
          label="Email"
          type="email"
          autoComplete="username"
          value={email}
          onChange={setEmail}
          error={errors.email}
        />
        <TextField
          id="sign-in-password"
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={setPassword}
          error={errors.password}
        />
        <SubmitButton pending={pending} label="Sign in" pendingLabel="Signing in…" />
      </form>
      <p>
        New here? <Link href="/sign-up/">Create an account</Link>.
      </p>
    </section>
  );
}
