"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useEffect, useState } from "react";

import { ApiError } from "@/api/http";
import { FormAlert, SubmitButton, TextField, focusFirstError } from "@/components/forms";
import { Loading, useSession } from "@/components/session";
import { type Errors, checkCode, hasErrors, normalizeCode, validateSignIn } from "@/lib/validation";
import { formFailure } from "@/lib/errors";
import { nextPath } from "@/lib/redirect";

type Field = "email" | "password";

/** A pending second step: the API's challenge and when it stops being accepted. */
interface Challenge {
  challenge: string;
  expiresAt: number;
}

export const CHALLENGE_EXPIRED = "The sign-in took too long. Enter your password again.";

export function SignInForm() {
  const { state, session } = useSession();
  const router = useRouter();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<Errors<Field>>({});
  const [alert, setAlert] = useState<string | null>(null);
  const [unverified, setUnverified] = useState(false);
  const [pending, setPending] = useState(false);
  const [challenge, setChallenge] = useState<Challenge | null>(null);

  const signedIn = state.status === "signed-in";
  useEffect(() => {
    if (signedIn) router.replace(nextPath());
  }, [signedIn, router]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = validateSignIn({ email, password });
    setErrors(found);
    setAlert(null);
    setUnverified(false);
    if (hasErrors(found)) {
      focusFirstError("sign-in", Object.keys(found));
      return;
    }
    setPending(true);
    try {
      const asked = await session.signIn(email.trim(), password);
      if (asked) {
        setChallenge({ challenge: asked.challenge, expiresAt: Date.now() + asked.expires_in * 1000 });
        setPassword("");
        setPending(false);
      }
    } catch (error) {
      const failure = formFailure(error, ["email", "password"] as const);
      setErrors(failure.fields);
      setAlert(failure.form);
      setUnverified(error instanceof ApiError && error.kind === "email-unverified");
      setPassword("");
      setPending(false);
    }
  }

  function restart(message: string | null) {
    setChallenge(null);
    setAlert(message);
    setErrors({});
    // Back on the first step: the password is what is needed again.
    setTimeout(() => document.getElementById("sign-in-password")?.focus(), 0);
  }

  if (state.status === "loading" || signedIn) return <Loading label="Loading your session…" />;
  return (
    <section className="card narrow" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      {state.notice && !challenge ? (
        <p className="notice" role="status">
          {state.notice}
        </p>
      ) : null}
      {challenge ? (
        <CodeStep challenge={challenge} onRestart={restart} />
      ) : (
        <>
          <form onSubmit={submit} noValidate aria-describedby={alert ? "sign-in-alert" : undefined}>
            <div id="sign-in-alert">
              <FormAlert message={alert}>
                {unverified ? (
                  <p>
                    <Link href="/verify-email/">Send a new verification link</Link>
                  </p>
                ) : null}
              </FormAlert>
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
            <Link href="/reset-password/">Forgot your password?</Link>
          </p>
          <p>
            New here? <Link href="/sign-up/">Create an account</Link>.
          </p>
        </>
      )}
    </section>
  );
}

/** The second step when two-factor is on: a code from the app or a backup code. */
function CodeStep({
  challenge,
  onRestart,
}: {
  challenge: Challenge;
  onRestart: (message: string | null) => void;
}) {
  const { session } = useSession();
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [alert, setAlert] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  // The step replaced the password form: take the keyboard to its field.
  useEffect(() => {
    document.getElementById("sign-in-code")?.focus();
  }, []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (Date.now() >= challenge.expiresAt) {
      onRestart(CHALLENGE_EXPIRED);
      return;
    }
    const found = checkCode(code, { backup: true });
    setError(found ?? undefined);
    setAlert(null);
    if (found) {
      focusFirstError("sign-in", ["code"]);
      return;
    }
    setPending(true);
    try {
      await session.completeSignIn(challenge.challenge, normalizeCode(code));
      // Signed in: the page moves on (see SignInForm).
    } catch (failure) {
      const { form, fields } = formFailure(failure, ["code"] as const);
      setAlert(form);
      setError(
        fields.code ??
          (failure instanceof ApiError && failure.kind === "invalid-code" ? "Check the code and try again." : undefined),
      );
      setCode("");
      setPending(false);
      focusFirstError("sign-in", ["code"]);
    }
  }

  return (
    <>
      <h2 id="sign-in-code-title">Enter your verification code</h2>
      <p>
        Your account has two-factor authentication. Open your authenticator app and enter the
        6-digit code it shows for this account. No phone? Use one of your backup codes instead.
      </p>
      <form onSubmit={submit} noValidate>
        <FormAlert message={alert} />
        <TextField
          id="sign-in-code"
          label="Verification code"
          autoComplete="one-time-code"
          hint="6 digits, or a backup code like ABCD-EFGH-JKLM-NPQR."
          value={code}
          onChange={setCode}
          error={error}
        />
        <div className="actions actions-start">
          <SubmitButton pending={pending} label="Verify" pendingLabel="Verifying…" />
          <button type="button" className="button" onClick={() => onRestart(null)} disabled={pending}>
            Start over
          </button>
        </div>
      </form>
    </>
  );
}
