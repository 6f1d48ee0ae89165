"use client";

import Link from "next/link";
import { useCallback, useEffect, useState } from "react";

import type { User } from "@/api/http";
import { ACTIVITY_PAGE_SIZE, ActivityList } from "@/components/activity";
import { Loading, RequireSession, useSession } from "@/components/session";
import { accountApi, usersApi } from "@/lib/browser";
import { describeError } from "@/lib/errors";

import { Sessions } from "./sessions";
import { TwoFactor } from "./two-factor";

const loadActivity = (cursor: string | null) => accountApi().myAudit(ACTIVITY_PAGE_SIZE, cursor);

/** `/security/`: the signed-in user's sessions, two-factor authentication and activity. */
export function Security() {
  return <RequireSession>{() => <SecuritySections />}</RequireSession>;
}

function SecuritySections() {
  const { session } = useSession();
  const [user, setUser] = useState<User | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Bumped to read the activity again (from the newest) after a change that adds events.
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let active = true;
    usersApi()
      .me()
      .then(
        (fresh) => active && setUser(fresh.user),
        (failure: unknown) => active && setError(describeError(failure)),
      );
    return () => {
      active = false;
    };
  }, []);

  /** Two-factor changed: read the account again and show it everywhere. */
  const refreshUser = useCallback(async () => {
    try {
      const fresh = await usersApi().me();
      setUser(fresh.user);
      session.updateUser(fresh.user);
    } catch (failure) {
      setError(describeError(failure));
    }
    setGeneration((n) => n + 1);
  }, [session]);

  if (error && !user) {
    return (
      <div className="alert" role="alert">
        {error}
      </div>
    );
  }
  if (!user) return <Loading label="Loading your security settings…" />;
  return (
    <>
      <section className="card" aria-labelledby="security-title">
        <h1 id="security-title">Security</h1>
        <p>
          Where you are signed in, two-factor authentication and what happened on your account.
          Your name, email and password are on <Link href="/profile/">your profile</Link>.
        </p>
      </section>
      <Sessions onChange={() => setGeneration((n) => n + 1)} />
      <TwoFactor enabled={user.two_factor_enabled} onChange={refreshUser} />
      <section className="card" aria-labelledby="activity-title">
        <h2 id="activity-title">Activity</h2>
        <p className="hint">Sign-ins, changes and alerts on your account, newest first.</p>
        <ActivityList key={generation} load={loadActivity} label="Your account activity" />
      </section>
    </>
  );
}
