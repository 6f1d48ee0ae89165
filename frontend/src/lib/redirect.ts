/**
 * Where the app may send the browser when an address names the destination: the
 * `next` of the sign-in page, which the session guard sets and which any link can
 * set to anything.
 *
 * The value is never checked as text. Browsers read addresses leniently (a backslash
 * counts as a slash, tabs and newlines are dropped, `/.//host` keeps a double slash
 * in the path), so `/\evil.example` or `/%09/evil.example` pass any prefix test and
 * still leave the site. Instead the value is parsed as the browser parses it, kept
 * only if it stays on this origin, and the browser goes to the parsed path, never to
 * the raw string.
 */

export const NEXT_PARAM = "next";

/** Where a signed-in user goes when the address names no usable destination. */
export const DEFAULT_PAGE = "/profile/";

/** Far longer than any path of the app; a longer value is not one the guard wrote. */
export const MAX_TARGET_LENGTH = 2048;

/**
 * `value` as a path of `origin` (`pathname + search + hash`), or null when it is not
 * one: unparsable, too long, another origin or scheme, or a path that would read as
 * another host on its own (`//host`).
 */
export function sameOriginPath(value: string | null | undefined, origin: string): string | null {
  if (!value?.trim() || value.length > MAX_TARGET_LENGTH) return null;
  const home = parse(origin)?.origin;
  if (!home || home === "null") return null;
  const parsed = parse(value, home);
  if (!parsed || parsed.origin !== home) return null;
  const path = pathOf(parsed);
  // The path must name the same place when followed on its own: a pathname of
  // `//evil.example` (from `/.//evil.example`) is read as a host by the router.
  const again = parse(path, home);
  return again?.origin === home && pathOf(again) === path ? path : null;
}

function parse(value: string, base?: string): URL | null {
  try {
    return new URL(value, base);
  } catch {
    return null;
  }
}

function pathOf(url: URL): string {
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The `next` of `location`'s query as a path of its origin, else the default page. */
export function nextPath(location: Pick<Location, "origin" | "search"> = window.location): string {
  const next = new URLSearchParams(location.search).get(NEXT_PARAM);
  return sameOriginPath(next, location.origin) ?? DEFAULT_PAGE;
}

/** The sign-in page, asked to come back to `path` (a path of this site) afterwards. */
export function signInPath(path: string): string {
  return `/sign-in/?${NEXT_PARAM}=${encodeURIComponent(path)}`;
}
