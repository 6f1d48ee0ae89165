"use client";

import { useState } from "react";

import type { User } from "@/api/http";
import { FormAlert, StatusMessage } from "@/components/forms";
import { publicAccountApi } from "@/lib/browser";
import { describeError } from "@/lib/errors";

/** The "Email status" entry of the profile: verified, or not yet with a button to send
 * the link again. */
export function EmailVerification({ user }: { user: User }) {
  const [pending, setPending] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [alert, setAlert] = useState<string | null>(null);

  async function resend() {
    setPending(true);
    setStatus(null);
    setAlert(null);
    try {
      await publicAccountApi().resendVerification(user.email);
      setStatus(`We sent a new verification link to ${user.email}. It may take a minute to arrive.`);
    } catch (error) {
      setAlert(describeError(error));
    } finally {
      setPending(false);
    }
  }

  return (
    <div>
      <dt>Email status</dt>
      <dd>
        {user.email_verified ? (
          <span className="badge badge-ok" data-testid="email-status">
            Verified
          </span>
        ) : (
          <>
            <span className="badge badge-warning" data-testid="email-status">
              Not verified
            </span>
            <p className="hint">Open the link we emailed you to confirm this address is yours.</p>
            <button
              type="button"
              className="button button-small"
              onClick={resend}
              disabled={pending}
              aria-busy={pending}
            >
              {pending ? "Sending…" : "Resend verification email"}
            </button>
            <FormAlert message={alert} />
            <StatusMessage message={status} />
          </>
        )}
      </dd>
    </div>
  );
}
