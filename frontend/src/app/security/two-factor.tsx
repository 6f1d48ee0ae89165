"use client";

import { type FormEvent, useEffect, useState } from "react";

import { ApiError, type Schemas } from "@/api/http";
import {
  CodeField,
  FormAlert,
  StatusMessage,
  SubmitButton,
  TextField,
  focusFirstError,
} from "@/components/forms";
import { useSession, useSignOutWith } from "@/components/session";
import { accountApi } from "@/lib/browser";
import { formFailure, reauthFailure } from "@/lib/errors";
import { TWO_FACTOR_OFF } from "@/lib/session";
import { groupSecret, isOtpauthUri } from "@/lib/two-factor";
import { type Errors, checkCode, hasErrors, normalizeCode, validateTwoFactorOff } from "@/lib/validation";

const WRONG_PASSWORD = "The password is incorrect.";
const WRONG_CODE = "That code is not right. Check your authenticator app and try again.";

type Step =
  | { name: "idle" }
  | { name: "password" }
  | { name: "setup"; setup: Schemas["TotpEnrollmentOut"] }
  | { name: "backup-codes"; codes: string[] }
  | { name: "turn-off" };

/** Off: turn on (password → secret and a first code → backup codes, shown once).
 * On: turn off with the password and a code; that ends every session, this one too. */
export function TwoFactor({ enabled, onChange }: { enabled: boolean; onChange: () => Promise<void> }) {
  const [step, setStep] = useState<Step>({ name: "idle" });
  const [status, setStatus] = useState<string | null>(null);

  function done(message: string) {
    setStep({ name: "idle" });
    setStatus(message);
    setTimeout(() => document.getElementById("two-factor-title")?.focus(), 0);
  }

  function cancel() {
    setStep({ name: "idle" });
    setStatus(null);
    setTimeout(() => document.getElementById("two-factor-title")?.focus(), 0);
  }

  const on = enabled || step.name === "backup-codes";
  return (
    <section className="card" aria-labelledby="two-factor-title">
      <h2 id="two-factor-title" tabIndex={-1}>
        Two-factor authentication
      </h2>
      <p>
        <span className={on ? "badge badge-ok" : "badge"} data-testid="two-factor-status">
          {on ? "On" : "Off"}
        </span>{" "}
        {on
          ? "Signing in asks for a code from your authenticator app after your password."
          : "Add a second step to signing in: a code from an authenticator app on your phone."}
      </p>
      <StatusMessage message={status} />
      {step.name === "idle" ? (
        enabled ? (
          <button
            type="button"
            className="button"
            onClick={() => {
              setStatus(null);
              setStep({ name: "turn-off" });
            }}
          >
            Turn off two-factor authentication
          </button>
        ) : (
          <button
            type="button"
            className="button button-primary"
            onClick={() => {
              setStatus(null);
              setStep({ name: "password" });
            }}
          >
            Turn on two-factor authentication
          </button>
        )
      ) : null}
      {step.name === "password" ? (
        <PasswordStep onCancel={cancel} onStarted={(setup) => setStep({ name: "setup", setup })} />
      ) : null}
      {step.name === "setup" ? (
        <SetupStep
          setup={step.setup}
          onCancel={cancel}
          onConfirmed={(codes) => {
            setStep({ name: "backup-codes", codes });
            void onChange();
          }}
        />
      ) : null}
      {step.name === "backup-codes" ? (
        <BackupCodes
          codes={step.codes}
          onSaved={() => done("Two-factor authentication is on.")}
        />
      ) : null}
      {step.name === "turn-off" ? (
        <TurnOffStep onCancel={cancel} />
      ) : null}
    </section>
  );
}

/** Focus a step's first field when it appears. */
function useFocus(id: string) {
  useEffect(() => {
    document.getElementById(id)?.focus();
  }, [id]);
}

function PasswordStep({
  onCancel,
  onStarted,
}: {
  onCancel: () => void;
  onStarted: (setup: Schemas["TotpEnrollmentOut"]) => void;
}) {
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [alert, setAlert] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  useFocus("two-factor-password");

  async function submit(event: FormEvent) {
    event.preventDefault();
    setAlert(null);
    if (!password) {
      setError("Enter your password.");
      focusFirstError("two-factor", ["password"]);
      return;
    }
    setError(undefined);
    setPending(true);
    try {
      onStarted(await accountApi().startTwoFactor(password));
    } catch (failure) {
      const wrong = failure instanceof ApiError && failure.kind === "invalid-credentials";
      setAlert(wrong ? WRONG_PASSWORD : formFailure(failure, ["password"] as const).form);
      setError(wrong ? WRONG_PASSWORD : undefined);
      setPassword("");
      setPending(false);
      focusFirstError("two-factor", ["password"]);
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <FormAlert message={alert} />
      <TextField
        id="two-factor-password"
        label="Password"
        type="password"
        autoComplete="current-password"
        hint="Confirm it is you before changing how you sign in."
        value={password}
        onChange={setPassword}
        error={error}
      />
      <div className="actions actions-start">
        <SubmitButton pending={pending} label="Continue" pendingLabel="Checking…" />
        <button type="button" className="button" onClick={onCancel} disabled={pending}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function SetupStep({
  setup,
  onCancel,
  onConfirmed,
}: {
  setup: Schemas["TotpEnrollmentOut"];
  onCancel: () => void;
  onConfirmed: (codes: string[]) => void;
}) {
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const [alert, setAlert] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  useFocus("two-factor-setup-title");

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = checkCode(code);
    setError(found ?? undefined);
    setAlert(null);
    if (found) {
      focusFirstError("two-factor", ["code"]);
      return;
    }
    setPending(true);
    try {
      onConfirmed(await accountApi().confirmTwoFactor(normalizeCode(code)));
    } catch (failure) {
      const { form, fields } = formFailure(failure, ["code"] as const);
      const wrong = fields.code !== undefined;
      setAlert(wrong ? WRONG_CODE : form);
      setError(wrong ? WRONG_CODE : undefined);
      setCode("");
      setPending(false);
      focusFirstError("two-factor", ["code"]);
    }
  }

  return (
    <div className="two-factor-setup">
      <h3 id="two-factor-setup-title" tabIndex={-1}>
        Add your account to an authenticator app
      </h3>
      <ol>
        <li>
          {isOtpauthUri(setup.otpauth_uri) ? (
            <>
              If your authenticator app is on this device,{" "}
              <a href={setup.otpauth_uri}>open the setup link</a>. Otherwise, choose to enter a
              setup key in the app and type this key:
            </>
          ) : (
            "In your authenticator app, choose to enter a setup key and type this key:"
          )}
          <code className="secret" data-testid="two-factor-secret">
            {groupSecret(setup.secret)}
          </code>
        </li>
        <li>Enter the 6-digit code the app then shows.</li>
      </ol>
      <form onSubmit={submit} noValidate>
        <FormAlert message={alert} />
        <TextField
          id="two-factor-code"
          label="6-digit code"
          autoComplete="one-time-code"
          value={code}
          onChange={setCode}
          error={error}
        />
        <div className="actions actions-start">
          <SubmitButton pending={pending} label="Confirm and turn on" pendingLabel="Confirming…" />
          <button type="button" className="button" onClick={onCancel} disabled={pending}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}

function BackupCodes({ codes, onSaved }: { codes: string[]; onSaved: () => void }) {
  useFocus("backup-codes-title");
  return (
    <div className="backup-codes" role="region" aria-labelledby="backup-codes-title">
      <h3 id="backup-codes-title" tabIndex={-1}>
        Save your backup codes
      </h3>
      <p>
        Two-factor authentication is on. If you lose your phone, each of these codes signs you in
        once instead of an app code. Keep them somewhere safe, such as a password manager:{" "}
        <strong>they are shown only now.</strong>
      </p>
      <ol className="codes" data-testid="backup-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <button type="button" className="button button-primary" onClick={onSaved}>
        I saved them
      </button>
    </div>
  );
}

/** Turning two-factor off is a credential change: the API ends every session of the
 * user, this one included (its access token stops working at once), so on success the
 * tab signs out and the sign-in page says why. */
function TurnOffStep({ onCancel }: { onCancel: () => void }) {
  const { session } = useSession();
  const signOutWith = useSignOutWith();
  const [values, setValues] = useState({ password: "", code: "" });
  const [errors, setErrors] = useState<Errors<"password" | "code">>({});
  const [alert, setAlert] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const set = (field: "password" | "code") => (value: string) =>
    setValues((v) => ({ ...v, [field]: value }));
  useFocus("two-factor-off-password");

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = validateTwoFactorOff(values);
    setErrors(found);
    setAlert(null);
    if (hasErrors(found)) {
      focusFirstError("two-factor-off", Object.keys(found));
      return;
    }
    setPending(true);
    // A refresh racing the change would fail and end the session with a vaguer notice.
    const resume = session.pauseRefresh();
    try {
      await accountApi().disableTwoFactor({
        password: values.password,
        code: normalizeCode(values.code),
      });
    } catch (failure) {
      resume();
      const failed = reauthFailure(failure, ["password", "code"] as const, {
        password: "password",
        code: "code",
        withCode: true,
      });
      setErrors(failed.fields);
      setAlert(failed.form);
      setValues({ password: "", code: "" });
      setPending(false);
      focusFirstError("two-factor-off", Object.keys(failed.fields));
      return;
    }
    await signOutWith(TWO_FACTOR_OFF);
  }

  return (
    <form onSubmit={submit} noValidate>
      <p>Every session of your account then ends, this one too: you sign in again with your password.</p>
      <FormAlert message={alert} />
      <TextField
        id="two-factor-off-password"
        label="Password"
        type="password"
        autoComplete="current-password"
        value={values.password}
        onChange={set("password")}
        error={errors.password}
      />
      <CodeField id="two-factor-off-code" value={values.code} onChange={set("code")} error={errors.code} />
      <div className="actions actions-start">
        <SubmitButton pending={pending} label="Turn off" pendingLabel="Turning off…" variant="danger" />
        <button type="button" className="button" onClick={onCancel} disabled={pending}>
          Cancel
        </button>
      </div>
    </form>
  );
}
