/**
 * The user routes, called with the session's access token. A request rejected because
 * the token expired is retried once after a silent refresh; if the session cannot be
 * refreshed, the session ends and the caller gets the 401.
 */
import {
  type Answer,
  ApiError,
  type ApiResponse,
  type Fetch,
  type Method,
  type Operation,
  type PathWith,
  type RequestOptions,
  type Schemas,
  type User,
  request,
} from "./http";

/** What the user routes need from the session. */
export interface TokenSource {
  accessToken(): string | null;
  /** Refresh now (single flight); false when the session is over. */
  refresh(): Promise<boolean>;
}

export interface Versioned {
  user: User;
  etag: string;
}

/** 401 because the access token is missing, expired or revoked (not wrong credentials). */
export function isExpiredToken(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401 && error.kind === "unauthenticated";
}

const SIGNED_OUT = new ApiError({
  type: "/problems/unauthenticated",
  title: "Unauthorized",
  status: 401,
  detail: "Your session has ended. Sign in again.",
});

/** Run `send` with the session's access token; if the token turns out to have expired,
 * refresh once and send again. Shared by every route that needs the bearer token. */
export async function withAccessToken<T>(
  session: TokenSource,
  send: (bearer: string) => Promise<T>,
): Promise<T> {
  const token = session.accessToken() ?? ((await session.refresh()) ? session.accessToken() : null);
  if (!token) throw SIGNED_OUT;
  try {
    return await send(token);
  } catch (error) {
    if (!isExpiredToken(error) || !(await session.refresh())) throw error;
    const fresh = session.accessToken();
    if (!fresh) throw error;
    return send(fresh);
  }
}

/** `request` with the session's access token (see `withAccessToken`), typed by the
 * schema like `request` itself. */
export function authorizedRequest(fetcher: Fetch, session: TokenSource) {
  return function authorized<M extends Method, P extends PathWith<M>>(
    method: M,
    path: P,
    options: RequestOptions<Operation<P, M>> = {},
  ): Promise<Answer<Operation<P, M>>> {
    return withAccessToken(session, (bearer) =>
      request(fetcher, method, path, { ...options, bearer }),
    );
  };
}

export function createUsersApi(fetcher: Fetch, session: TokenSource) {
  const authorized = authorizedRequest(fetcher, session);

  const versioned = (response: ApiResponse<User>): Versioned => ({
    user: response.data,
    etag: response.headers.get("etag") ?? "",
  });

  return {
    async me(): Promise<Versioned> {
      return versioned(await authorized("get", "/api/v1/users/me"));
    },
    async get(userId: string): Promise<Versioned> {
      return versioned(await authorized("get", "/api/v1/users/{user_id}", { path: { user_id: userId } }));
    },
    /** PATCH with `If-Match`: a stale `etag` is a 412 `stale-version` problem. */
    async update(userId: string, etag: string, body: Schemas["UpdateUserIn"]): Promise<Versioned> {
      const response = await authorized("patch", "/api/v1/users/{user_id}", {
        path: { user_id: userId },
        header: { "If-Match": etag },
        body,
      });
      return versioned(response);
    },
    /** With two-factor on, `code` too. Every session ends, this one included. */
    async changePassword(body: Schemas["ChangePasswordIn"]): Promise<void> {
      await authorized("post", "/api/v1/users/me/password", { body });
    },
    async list(limit: number, cursor: string | null): Promise<Schemas["UserPageOut"]> {
      return (await authorized("get", "/api/v1/users", { query: { limit, cursor } })).data;
    },
    async create(body: Schemas["CreateUserIn"]): Promise<User> {
      return (await authorized("post", "/api/v1/users", { body })).data;
    },
    /** Delete a user. Deleting your own account needs `proof`: the current password,
     * and `code` with two-factor on (422 naming a missing one, 401
     * `invalid-credentials` when wrong, 429 after repeated failures). An admin deleting
     * someone else sends none. */
    async remove(userId: string, proof?: Schemas["DeleteUserIn"]): Promise<void> {
      await authorized("delete", "/api/v1/users/{user_id}", {
        path: { user_id: userId },
        ...(proof ? { body: proof } : {}),
      });
    },
  };
}

export type UsersApi = ReturnType<typeof createUsersApi>;
