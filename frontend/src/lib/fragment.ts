/**
 * Tokens from email links arrive in the URL fragment (`/verify-email#token=...`): a
 * fragment never reaches a server log or a Referer header. The page reads it once and
 * removes it from the address bar and history, so it does not linger either.
 */

/** The `token` of a fragment like `#token=abc`, or null. */
export function tokenFromHash(hash: string): string | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const token = params.get("token")?.trim();
  return token ? token : null;
}

interface Place {
  location: Pick<Location, "hash" | "pathname" | "search">;
  history: Pick<History, "replaceState" | "state">;
}

/** Take the token out of the current address: read it, then drop the fragment. */
export function takeHashToken(place: Place = window): string | null {
  const { hash, pathname, search } = place.location;
  if (!hash) return null;
  const token = tokenFromHash(hash);
  place.history.replaceState(place.history.state, "", `${pathname}${search}`);
  return token;
}
