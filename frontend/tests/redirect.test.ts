import { describe, expect, it } from "vitest";

import { DEFAULT_PAGE, MAX_TARGET_LENGTH, nextPath, sameOriginPath, signInPath } from "@/lib/redirect";

const ORIGIN = "https://app.example";
const HOST = "app.example";
const EVIL = "evil.example";
// The router resolves a target against the page it is on, not the origin.
const SIGN_IN_PAGE = `${ORIGIN}/sign-in/?next=x`;

/** Where the sign-in page would go for an address whose query is `search`. */
const after = (search: string) => nextPath({ origin: ORIGIN, search });

/** The promise of a target: a path of this origin, which the router reads as one. */
function expectOnTheSite(target: string, input: string) {
  const context = `target ${JSON.stringify(target)} for ${JSON.stringify(input)}`;
  expect(target.startsWith("/"), context).toBe(true);
  expect(target.startsWith("//"), context).toBe(false);
  expect(target.startsWith("/\\"), context).toBe(false);
  expect(new URL(target, SIGN_IN_PAGE).host, context).toBe(HOST);
  expect(new URL(target, ORIGIN).host, context).toBe(HOST);
}

describe("sameOriginPath keeps the paths of the site", () => {
  it.each([
    ["/security/", "/security/"],
    ["/profile/", "/profile/"],
    ["/security/?from=mail#sessions", "/security/?from=mail#sessions"],
    ["/admin/users/?page=2&q=a%20b#top", "/admin/users/?page=2&q=a%20b#top"],
    ["/security/#", "/security/"], // an empty query or fragment is no query or fragment
    ["/security/?", "/security/"],
    ["/a/../security/", "/security/"],
    ["/./security/", "/security/"],
    ["/%5C/security/", "/%5C/security/"], // an encoded backslash stays a literal character
    ["/ü/", "/%C3%BC/"],
  ])("%s → %s", (value, path) => {
    expect(sameOriginPath(value, ORIGIN)).toBe(path);
  });

  it("resolves a relative path against the root, never the current page", () => {
    expect(sameOriginPath("security/", ORIGIN)).toBe("/security/");
    expect(sameOriginPath("./security/", ORIGIN)).toBe("/security/");
    expect(sameOriginPath("../../security/", ORIGIN)).toBe("/security/");
    expect(sameOriginPath("?tab=1", ORIGIN)).toBe("/?tab=1");
    expect(sameOriginPath("#top", ORIGIN)).toBe("/#top");
  });

  it("keeps an absolute address of this origin as its path", () => {
    expect(sameOriginPath(`${ORIGIN}/security/?a=1#b`, ORIGIN)).toBe("/security/?a=1#b");
    expect(sameOriginPath("HTTPS://APP.EXAMPLE:443/security/", ORIGIN)).toBe("/security/");
    expect(sameOriginPath("https:security/", ORIGIN)).toBe("/security/");
    // Credentials do not change the origin, and the path leaves them behind.
    expect(sameOriginPath(`https://user:pw@${HOST}/security/`, ORIGIN)).toBe("/security/");
    expect(sameOriginPath(`//${EVIL}@${HOST}/security/`, ORIGIN)).toBe("/security/");
  });

  it("drops what the browser itself drops: surrounding spaces, tabs and newlines", () => {
    expect(sameOriginPath(" /security/ ", ORIGIN)).toBe("/security/");
    expect(sameOriginPath("\t/security/\n", ORIGIN)).toBe("/security/");
    expect(sameOriginPath("/secu\r\nrity/", ORIGIN)).toBe("/security/");
  });

  it("accepts a long path up to the limit, not beyond", () => {
    const longest = "/" + "a".repeat(MAX_TARGET_LENGTH - 1);
    expect(sameOriginPath(longest, ORIGIN)).toBe(longest);
    expect(sameOriginPath(longest + "a", ORIGIN)).toBeNull();
  });
});

describe("sameOriginPath refuses anything that leaves the site", () => {
  it.each([
    // The findings: a backslash counts as a slash, a tab or newline is dropped.
    `/\\${EVIL}/pwn`,
    `\\\\${EVIL}/pwn`,
    `\\/${EVIL}/pwn`,
    `/\\\\${EVIL}/pwn`,
    `/\t/${EVIL}/pwn`,
    `/\t\\${EVIL}/pwn`,
    `/\n/${EVIL}/pwn`,
    `/\r/${EVIL}/pwn`,
    `/\r\n/${EVIL}/pwn`,
    `\t//${EVIL}/pwn`,
    // Network paths.
    `//${EVIL}`,
    `///${EVIL}`,
    `////${EVIL}`,
    `//${HOST}@${EVIL}`,
    `/.//${EVIL}/pwn`,
    `/./\\${EVIL}/pwn`,
    `/..//${EVIL}/pwn`,
    `/a/..//${EVIL}/pwn`,
    `/%2e//${EVIL}/pwn`,
    `/%2E%2E//${EVIL}/pwn`,
    // Whitespace first: the parser strips it, the old prefix test did not.
    ` //${EVIL}`,
    `\u0001//${EVIL}`,
    `\u001f\\\\${EVIL}`,
    `\f//${EVIL}`,
    `\v//${EVIL}`,
    // Other origins and schemes.
    `https://${EVIL}/`,
    `http://${HOST}/security/`,
    `https://${HOST}:444/security/`,
    `https://${HOST}.${EVIL}/`,
    `https://${HOST}@${EVIL}/`,
    `https://${EVIL}#@${HOST}`,
    `https://${EVIL}\\@${HOST}`,
    `https:\\\\${EVIL}`,
    `http:${EVIL}`,
    `http:\\\\${EVIL}`,
    `http:/${EVIL}`,
    `ftp://${EVIL}/`,
    "javascript:alert(document.domain)",
    "JaVaScRiPt:alert(1)",
    "\tjavascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "javascript://%0aalert(1)",
    `javascript://${HOST}/%0aalert(1)`,
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    `blob:${ORIGIN}/8c3e0a1e-0000-4000-8000-000000000000`,
    "about:blank",
    "mailto:someone@evil.example",
    // Unparsable or empty.
    "https://[::1",
    "http://%zz/",
    "",
    "   ",
  ])("%j", (value) => {
    expect(sameOriginPath(value, ORIGIN)).toBeNull();
  });

  it("refuses a value longer than the limit quickly, whatever it holds", () => {
    const huge = `/\\${EVIL}/` + "a".repeat(1_000_000);
    const started = performance.now();
    expect(sameOriginPath(huge, ORIGIN)).toBeNull();
    expect(sameOriginPath("/" + "a".repeat(1_000_000), ORIGIN)).toBeNull();
    expect(performance.now() - started).toBeLessThan(100);
  });

  it("refuses everything when the page has no origin of its own", () => {
    expect(sameOriginPath("/security/", "null")).toBeNull();
    expect(sameOriginPath("/security/", "file:///")).toBeNull();
    expect(sameOriginPath("file:///etc/passwd", "file:///")).toBeNull();
    expect(sameOriginPath(null, ORIGIN)).toBeNull();
    expect(sameOriginPath(undefined, ORIGIN)).toBeNull();
  });

  it.each([
    `/\u2215${EVIL}`, // division slash
    `/\u2044${EVIL}`, // fraction slash
    `/\u29f8${EVIL}`, // big solidus
    `/\uff0f${EVIL}`, // fullwidth solidus
    `\uff0f\uff0f${EVIL}`,
    `/\uff3c${EVIL}`, // fullwidth reverse solidus
    `/\u2216${EVIL}`, // set minus
    `https:\uff0f\uff0f${EVIL}`,
    `\u3000//${EVIL}`, // ideographic space: not stripped, so a relative path
    `\u00a0//${EVIL}`,
    `\u200b//${EVIL}`,
  ])("reads Unicode look-alikes as ordinary characters of a path: %j", (value) => {
    const target = sameOriginPath(value, ORIGIN);
    if (target !== null) expectOnTheSite(target, value);
  });
});

describe("nextPath reads the sign-in page's address as the browser does", () => {
  it.each([
    // The three, as they appear in the address bar.
    "?next=/%5C127.0.0.1:9/pwn",
    "?next=/%09/127.0.0.1:9/pwn",
    "?next=/\\127.0.0.1:9/pwn",
    // Encoded tabs, newlines, slashes and backslashes: the query decodes them once.
    "?next=/%0A/127.0.0.1:9/pwn",
    "?next=/%0D/127.0.0.1:9/pwn",
    "?next=/%0D%0A/127.0.0.1:9/pwn",
    "?next=%2F%2F127.0.0.1:9/pwn",
    "?next=%2F%5C127.0.0.1:9/pwn",
    "?next=%5C%5C127.0.0.1:9/pwn",
    "?next=/%2F127.0.0.1:9/pwn",
    "?next=%09%2F%2F127.0.0.1:9/pwn",
    "?next=%20%2F%2F127.0.0.1:9/pwn",
    "?next=+//127.0.0.1:9/pwn", // `+` is a space in a query
    "?next=/.//127.0.0.1:9/pwn",
    "?next=https%3A%2F%2Fevil.example%2F",
    "?next=javascript%3Aalert(1)",
    "?next=data%3Atext%2Fhtml%2C%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    // The first `next` counts.
    "?next=%2F%2Fevil.example&next=%2Fsecurity%2F",
  ])("%s → the default page", (search) => {
    expect(after(search)).toBe(DEFAULT_PAGE);
  });

  it("keeps a literal %-sequence when the address encodes it twice", () => {
    // `%255C` decodes once to `%5C`: a character of the path, not a separator.
    expect(after("?next=/%255C127.0.0.1:9/pwn")).toBe("/%5C127.0.0.1:9/pwn");
    expect(after("?next=/%252F127.0.0.1:9/pwn")).toBe("/%2F127.0.0.1:9/pwn");
  });

  it("goes to the default page without a `next`", () => {
    expect(after("")).toBe(DEFAULT_PAGE);
    expect(after("?next=")).toBe(DEFAULT_PAGE);
    expect(after("?other=/security/")).toBe(DEFAULT_PAGE);
  });

  it("honours a path of the site, with its query and fragment", () => {
    expect(after("?next=%2Fsecurity%2F")).toBe("/security/");
    expect(after("?next=/security/")).toBe("/security/");
    expect(after("?next=%2Fsecurity%2F%3Ffrom%3Dmail%23sessions")).toBe("/security/?from=mail#sessions");
    expect(after("?next=%2Fsecurity%2F&next=%2F%2Fevil.example")).toBe("/security/");
  });

  it.each([
    ["/profile/", "/profile/"],
    ["/admin/users/", "/admin/users/"],
    ["/a b/?x=1&y=2#z", "/a%20b/?x=1&y=2#z"],
    ["/ü/", "/%C3%BC/"],
  ])("comes back to %s after the guard sent the visitor to sign in", (path, back) => {
    expect(after(new URL(signInPath(path), ORIGIN).search)).toBe(back);
  });

  it("names the way back in the sign-in page's address", () => {
    expect(signInPath("/profile/")).toBe("/sign-in/?next=%2Fprofile%2F");
  });
});

describe("no spelling of a way off the site gets through", () => {
  // Built from the pieces of the known tricks, raw and %-encoded once and twice, in
  // every order: each must come out as the default page or a path of the site.
  const starts = ["", "http:", "https:", "HTTPS:", "javascript:", "data:", "//", "/."];
  const gaps = ["", "\t", "\n", "\r", " ", "%09", "%0A", "%0D", "%20", "+", "\u00a0", "%2E", "./"];
  const slashes = ["/", "\\", "%2F", "%5C", "%252F", "%255C", "\uff0f", "%EF%BC%8F"];
  const hosts = [`${EVIL}/pwn`, `${EVIL}@${HOST}/`, `${HOST}@${EVIL}/`, "127.0.0.1:9/pwn"];
  const candidates: string[] = [];
  for (const start of starts)
    for (const gap of gaps)
      for (const first of slashes)
        for (const second of slashes)
          for (const host of hosts) candidates.push(`${start}${gap}${first}${second}${host}`);

  it(`holds for ${candidates.length} values passed as they are`, () => {
    for (const value of candidates) {
      const target = sameOriginPath(value, ORIGIN);
      if (target !== null) expectOnTheSite(target, value);
    }
  });

  it(`holds for the same ${candidates.length} values in the sign-in page's address`, () => {
    for (const value of candidates) {
      for (const search of [`?next=${value}`, `?next=${encodeURIComponent(value)}`]) {
        const target = after(search);
        if (target !== DEFAULT_PAGE) expectOnTheSite(target, search);
      }
    }
  });

  it("sends every value that reaches another host by itself to the default page", () => {
    let leaving = 0;
    for (const value of candidates) {
      let host: string | null = null;
      try {
        host = new URL(value, SIGN_IN_PAGE).host;
      } catch {
        continue;
      }
      if (host === HOST) continue;
      leaving += 1;
      expect(sameOriginPath(value, ORIGIN), JSON.stringify(value)).toBeNull();
    }
    expect(leaving).toBeGreaterThan(1000); // the set does hold the tricks
  });
});
