/**
 * The account routes: email verification, password reset and the sign-in's two-factor
 * step (no bearer), and, with the session's access token, the user's sessions,
 * two-factor setup and activity, plus the admins' audit log.
 */
import { type Fetch, type Schemas, type TokenPair, request } from "./http";
import { type TokenSource, authorizedRequest } from "./users";

export const COOKIE_MODE = { "X-Refresh-Token-Transport": "cookie" } as const;

/** Second step of a sign-in with two-factor on, in cookie mode like sign-in itself. */
export async function signInWithCode(
  fetcher: Fetch,
  body: Schemas["TwoFactorSignInIn"],
): Promise<TokenPair> {
  const response = await request(fetcher, "post", "/api/v1/auth/sign-in/totp", {
    body,
    header: COOKIE_MODE,
  });
  return response.data;
}

/** The routes a signed-out visitor uses (links from emails, forgotten password). */
export function createPublicAccountApi(fetcher: Fetch) {
  return {
    /** 204, or 400 `invalid-token` (unknown, used or expired). */
    async verifyEmail(token: string): Promise<void> {
      await request(fetcher, "post", "/api/v1/auth/verify-email", { body: { token } });
    },
    /** Always 202 (the answer says nothing about the account), or 429. */
    async resendVerification(email: string): Promise<void> {
      await request(fetcher, "post", "/api/v1/auth/verify-email/resend", { body: { email } });
    },
    /** Always 202, or 429. */
    async requestPasswordReset(email: string): Promise<void> {
      await request(fetcher, "post", "/api/v1/auth/password-reset", { body: { email } });
    },
    /** 204 (every session of the user ends), 400 `invalid-token`, 422 on `new_password`. */
    async confirmPasswordReset(token: string, newPassword: string): Promise<void> {
      await request(fetcher, "post", "/api/v1/auth/password-reset/confirm", {
        body: { token, new_password: newPassword },
      });
    },
    signInWithCode(body: Schemas["TwoFactorSignInIn"]): Promise<TokenPair> {
      return signInWithCode(fetcher, body);
    },
  };
}

export type PublicAccountApi = ReturnType<typeof createPublicAccountApi>;

/** The signed-in user's own security settings, and the admins' audit log. */
export function createAccountApi(fetcher: Fetch, session: TokenSource) {
  const authorized = authorizedRequest(fetcher, session);

  return {
    async sessions(): Promise<Schemas["SessionOut"][]> {
      return (await authorized("get", "/api/v1/users/me/sessions")).data.items;
    },
    /** 404 when the session already ended. */
    async revokeSession(sessionId: string): Promise<void> {
      await authorized("delete", "/api/v1/users/me/sessions/{session_id}", {
        path: { session_id: sessionId },
      });
    },
    /** Sign out every session but this one. */
    async revokeOtherSessions(): Promise<void> {
      await authorized("delete", "/api/v1/users/me/sessions");
    },
    /** 201 with the pending secret; 401 wrong password, 409 already on. */
    async startTwoFactor(password: string): Promise<Schemas["TotpEnrollmentOut"]> {
      return (await authorized("post", "/api/v1/users/me/two-factor", { body: { password } })).data;
    },
    /** Turns two-factor on; the backup codes are shown this once. */
    async confirmTwoFactor(code: string): Promise<string[]> {
      const response = await authorized("post", "/api/v1/users/me/two-factor/confirm", {
        body: { code },
      });
      return response.data.backup_codes;
    },
    /** A credential change: every session of the user ends, this one included (its
     * access token stops working at once); the caller signs out locally. */
    async disableTwoFactor(body: Schemas["PasswordAndCodeIn"]): Promise<void> {
      await authorized("post", "/api/v1/users/me/two-factor/disable", { body });
    },
    /** The user's own events, newest first. */
    async myAudit(limit: number, cursor: string | null): Promise<Schemas["AuditPageOut"]> {
      return (await authorized("get", "/api/v1/users/me/audit", { query: { limit, cursor } })).data;
    },
    /** Admins only: everyone's events, or one user's. */
    async audit(userId: string | null, limit: number, cursor: string | null): Promise<Schemas["AuditPageOut"]> {
      const response = await authorized("get", "/api/v1/audit", {
        query: { user_id: userId, limit, cursor },
      });
      return response.data;
    },
  };
}

export type AccountApi = ReturnType<typeof createAccountApi>;
