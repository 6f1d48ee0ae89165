"use client";

import { useRouter } from "next/navigation";
import { type ReactNode, useCallback, useEffect, useSyncExternalStore } from "react";

import type { User } from "@/api/http";
import { browserSession } from "@/lib/browser";
import { signInPath } from "@/lib/redirect";
import type { Session, SessionState } from "@/lib/session";

const LOADING: SessionState = { status: "loading" };

export function useSession(): { state: SessionState; session: Session } {
  const session = browserSession();
  const state = useSyncExternalStore(session.subscribe, session.getState, () => LOADING);
  return { state, session };
}

/** After a change that ended this session at the API too (a credential change, the
 * account deleted): sign out here and go to the sign-in page, which shows `notice`. */
export function useSignOutWith(): (notice: string) => Promise<void> {
  const { session } = useSession();
  const router = useRouter();
  return useCallback(
    async (notice: string) => {
      await session.signOut(notice);
      router.replace("/sign-in/");
    },
    [session, router],
  );
}

/** Resumes the session on load and keeps the token fresh when the tab wakes up. */
export function SessionProvider({ children }: { children: ReactNode }) {
  useEffect(() => {
    const session = browserSession();
    void session.restore();
    const onVisible = () => {
      if (document.visibilityState === "visible") void session.wake();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, []);
  return <>{children}</>;
}

export function Loading({ label }: { label: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

/** Renders `children` for a signed-in user (an admin if `admin`); sends everyone else
 * to the sign-in page, and back here after signing in. */
export function RequireSession({
  admin = false,
  children,
}: {
  admin?: boolean;
  children: (user: User) => ReactNode;
}) {
  const { state } = useSession();
  const router = useRouter();
  const signedOut = state.status === "signed-out";
  useEffect(() => {
    if (signedOut) {
      router.replace(signInPath(window.location.pathname));
    }
  }, [signedOut, router]);
  if (state.status !== "signed-in") return <Loading label="Loading your session…" />;
  if (admin && state.user.role !== "admin") {
    return (
      <div className="alert" role="alert">
        Only admins can manage users.
      </div>
    );
  }
  return <>{children(state.user)}</>;
}
