/**
 * The auth routes in cookie mode: the API keeps the refresh token in an HttpOnly,
 * Secure, SameSite=Strict cookie scoped to /api/v1/auth, so no script on the page
 * (ours or an injected one) can read it. Only the short-lived access token reaches
 * JavaScript, and it lives in memory.
 */
import { COOKIE_MODE, signInWithCode } from "./account";
import {
  type Fetch,
  type Operation,
  type Schemas,
  type Success,
  type TokenPair,
  type User,
  request,
} from "./http";

/** What sign-in answers, as the schema documents it: 200 `TokenPairOut`, or 202
 * `TwoFactorChallengeOut` when the user has two-factor on. */
export type SignInResult = Success<Operation<"/api/v1/auth/sign-in", "post">>;
export type SignInChallenge = Schemas["TwoFactorChallengeOut"];

export function isChallenge(result: SignInResult): result is SignInChallenge {
  return "challenge" in result;
}

export interface AuthApi {
  /** `tokens` is null when the server wants the email verified before any sign-in. */
  signUp(body: Schemas["SignUpIn"]): Promise<Schemas["SignUpOut"]>;
  /** Tokens, or a challenge (202) when the user has two-factor on. */
  signIn(body: Schemas["SignInIn"]): Promise<SignInResult>;
  /** Answer a sign-in challenge with an app code or a backup code. */
  signInWithCode(body: Schemas["TwoFactorSignInIn"]): Promise<TokenPair>;
  /** Rotate the cookie's refresh token (no body: the cookie is the credential). */
  refresh(): Promise<TokenPair>;
  /** Revoke the cookie's session family and clear the cookie. */
  signOut(): Promise<void>;
  me(accessToken: string): Promise<{ user: User; etag: string }>;
}

export function createAuthApi(fetcher: Fetch): AuthApi {
  return {
    async signUp(body) {
      return (await request(fetcher, "post", "/api/v1/auth/sign-up", { body, header: COOKIE_MODE }))
        .data;
    },
    async signIn(body) {
      const response = await request(fetcher, "post", "/api/v1/auth/sign-in", {
        body,
        header: COOKIE_MODE,
      });
      // The schema's 200 | 202 union: tokens, or the challenge (see `isChallenge`).
      return response.data;
    },
    signInWithCode(body) {
      return signInWithCode(fetcher, body);
    },
    async refresh() {
      return (await request(fetcher, "post", "/api/v1/auth/refresh", { header: COOKIE_MODE })).data;
    },
    async signOut() {
      await request(fetcher, "post", "/api/v1/auth/sign-out", { header: COOKIE_MODE });
    },
    async me(accessToken) {
      const response = await request(fetcher, "get", "/api/v1/users/me", { bearer: accessToken });
      return { user: response.data, etag: response.headers.get("etag") ?? "" };
    },
  };
}
