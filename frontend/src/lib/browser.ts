/** The one session and API client of the page, created on first use in the browser. */
import {
  type AccountApi,
  type PublicAccountApi,
  createAccountApi,
  createPublicAccountApi,
} from "@/api/account";
import { createAuthApi } from "@/api/auth";
import type { Fetch } from "@/api/http";
import { type UsersApi, createUsersApi } from "@/api/users";
import { CHANNEL_NAME, Session } from "@/lib/session";

let session: Session | null = null;
let users: UsersApi | null = null;
let account: AccountApi | null = null;
let publicAccount: PublicAccountApi | null = null;

const fetcher: Fetch = (input, init) => fetch(input, init);

function localStorageOrNull(): Storage | null {
  try {
    return typeof window === "undefined" ? null : window.localStorage;
  } catch {
    return null; // storage disabled: sessions still work, just without the reload hint
  }
}

export function browserSession(): Session {
  if (session) return session;
  const inBrowser = typeof window !== "undefined";
  const created = new Session({
    auth: createAuthApi(fetcher),
    storage: localStorageOrNull(),
    locks: inBrowser && "locks" in navigator ? navigator.locks : null,
    channel: inBrowser && "BroadcastChannel" in window ? new BroadcastChannel(CHANNEL_NAME) : null,
  });
  // Prerendering at build time has no browser: keep nothing from it.
  if (inBrowser) session = created;
  return created;
}

export function usersApi(): UsersApi {
  users ??= createUsersApi(fetcher, browserSession());
  return users;
}

export function accountApi(): AccountApi {
  account ??= createAccountApi(fetcher, browserSession());
  return account;
}

export function publicAccountApi(): PublicAccountApi {
  publicAccount ??= createPublicAccountApi(fetcher);
  return publicAccount;
}
