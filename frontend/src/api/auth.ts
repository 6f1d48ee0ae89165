/**
 * The auth routes in cookie mode: the API keeps the refresh token in an HttpOnly,
 * Secure, SameSite=Strict cookie scoped to /api/v1/auth, so no script on the page
 * (ours or an injected one) can read it. Only the short-lived access token reaches
 * JavaScript, and it lives in memory.
 */
import { type Fetch, type Schemas, type TokenPair, type User, request } from "./http";

const COOKIE_MODE = { "X-Refresh-Token-Transport": "cookie" } as const;

export interface AuthApi {
  signUp(body: Schemas["SignUpIn"]): Promise<{ user: User; tokens: TokenPair }>;
  signIn(body: Schemas["SignInIn"]): Promise<TokenPair>;
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
      return (await request(fetcher, "post", "/api/v1/auth/sign-in", { body, header: COOKIE_MODE }))
        .data;
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
