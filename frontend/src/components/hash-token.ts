"use client";

import { useEffect, useRef, useState } from "react";

import { takeHashToken } from "@/lib/fragment";

/** The `#token=...` of an email link, read once in the browser and then removed from
 * the address bar and history. `undefined` until read (prerendering, first render),
 * then the token, or null when the address has none. */
export function useHashToken(): string | null | undefined {
  const [token, setToken] = useState<string | null | undefined>(undefined);
  // Kept across React's development double-run of effects: the hash is gone by then.
  const taken = useRef<string | null | undefined>(undefined);
  useEffect(() => {
    if (taken.current === undefined) taken.current = takeHashToken();
    const value = taken.current;
    let active = true;
    void Promise.resolve().then(() => active && setToken(value));
    // A link opened in a tab that already shows the page changes only the fragment.
    const onHashChange = () => {
      const next = takeHashToken();
      if (next) {
        taken.current = next;
        setToken(next);
      }
    };
    window.addEventListener("hashchange", onHashChange);
    return () => {
      active = false;
      window.removeEventListener("hashchange", onHashChange);
    };
  }, []);
  return token;
}
