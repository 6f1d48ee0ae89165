"use client";

import Link from "next/link";
import { useEffect, useRef, useState } from "react";

import { ApiError } from "@/api/http";
import { EmailRequestForm } from "@/components/email-request-form";
import { FormAlert } from "@/components/forms";
import { useHashToken } from "@/components/hash-token";
import { Loading, useSession } from "@/components/session";
import { publicAccountApi, usersApi } from "@/lib/browser";
import { INVALID_LINK_MESSAGE, describeError } from "@/lib/errors";

export const RESENT_MESSAGE = "If an account exists for this address, we sent a new link.";

type Outcome = { status: "verified" } | { status: "failed"; message: string };

/** `/verify-email/#token=...`: the link from the verification email. */
export function VerifyEmail() {
  const token = useHashToken();
  // Each link starts afresh (a second link opened in the same tab).
  return <Verification key={token ?? ""} token={token} />;
}

function Verification({ token }: { token: string | null | undefined }) {
  const { state, session } = useSession();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  // One request per token, also when React runs the effect twice (development).
  const sent = useRef<{ token: string; result: Promise<Outcome> } | null>(null);

  useEffect(() => {
    if (!token) return;
    if (sent.current?.token !== token) {
      const result = publicAccountApi()
        .verifyEmail(token)
        .then(
          (): Outcome => ({ status: "verified" }),
          (error: unknown): Outcome => ({
            status: "failed",
            message:
              error instanceof ApiError && error.kind === "invalid-token"
                ? INVALID_LINK_MESSAGE
                : describeError(error),
          }),
        );
      sent.current = { token, result };
    }
    let active = true;
    void sent.current.result.then((found) => active && setOutcome(found));
    return () => {
      active = false;
    };
  }, [token]);

  // Signed in here too: show the verified address everywhere.
  const signedIn = state.status === "signed-in";
  const verified = outcome?.status === "verified";
  useEffect(() => {
    if (!verified || !signedIn) return;
    usersApi()
      .me()
      .then(
        (fresh) => session.updateUser(fresh.user),
        () => undefined, // the page already says it worked; the profile reloads anyway
      );
  }, [verified, signedIn, session]);

  useEffect(() => {
    if (outcome) document.getElementById("verify-result")?.focus();
  }, [outcome]);

  const signedInEmail = state.status === "signed-in" ? state.user.email : "";
  return (
    <section className="card narrow" aria-labelledby="verify-title">
      <h1 id="verify-title">Verify your email</h1>
      {token === undefined || (token && !outcome) ? (
        <Loading label="Verifying your email address…" />
      ) : outcome?.status === "verified" ? (
        <div id="verify-result" tabIndex={-1}>
          <p className="notice" role="status">
            Your email address is verified.
          </p>
          <p>
            {signedIn ? (
              <Link href="/profile/">Go to your profile</Link>
            ) : (
              <Link href="/sign-in/">Sign in to your account</Link>
            )}
          </p>
        </div>
      ) : (
        <>
          {outcome?.status === "failed" ? (
            <div id="verify-result" tabIndex={-1}>
              <FormAlert message={outcome.message} />
            </div>
          ) : (
            <p>
              Open the link from the email we sent you. It ends in <code>#token=…</code>; if your
              email app split it over two lines, copy all of it.
            </p>
          )}
          <h2>Send a new link</h2>
          <EmailRequestForm
            id="resend"
            send={(email) => publicAccountApi().resendVerification(email)}
            label="Send a new link"
            pendingLabel="Sending…"
            sentMessage={RESENT_MESSAGE}
            initialEmail={signedInEmail}
          />
        </>
      )}
    </section>
  );
}
