"use client";

import Link from "next/link";
import { useCallback, useEffect, useState } from "react";

import type { User } from "@/api/http";
import { Loading, RequireSession } from "@/components/session";
import { usersApi } from "@/lib/browser";
import { describeError } from "@/lib/errors";

import { ChangePasswordForm } from "./change-password-form";
import { EmailVerification } from "./email-verification";
import { DeleteAccount } from "./delete-account";
import { EditProfileForm } from "./edit-profile-form";

export interface Current {
  user: User;
  etag: string;
}

export function Profile() {
  return <RequireSession>{() => <ProfileSections />}</RequireSession>;
}

function formatDate(value: string): string {
  return new Date(value).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function ProfileSections() {
  const [current, setCurrent] = useState<Current | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let active = true;
    usersApi()
      .me()
      .then(
        (fresh) => active && setCurrent(fresh),
        (failure: unknown) => active && setError(describeError(failure)),
      );
    return () => {
      active = false;
    };
  }, []);

  /** Read the profile again (after a conflicting edit): the fresh version, or null. */
  const reload = useCallback(async (): Promise<Current | null> => {
    try {
      const fresh = await usersApi().me();
      setCurrent(fresh);
      setError(null);
      return fresh;
    } catch (failure) {
      setError(describeError(failure));
      return null;
    }
  }, []);

  if (error && !current) {
    return (
      <div className="alert" role="alert">
        {error}
      </div>
    );
  }
  if (!current) return <Loading label="Loading your profile…" />;
  const { user } = current;
  return (
    <>
      <section className="card" aria-labelledby="profile-title">
        <h1 id="profile-title">Your profile</h1>
        <dl className="details">
          <div>
            <dt>Name</dt>
            <dd data-testid="profile-name">{user.name}</dd>
          </div>
          <div>
            <dt>Email</dt>
            <dd data-testid="profile-email">{user.email}</dd>
          </div>
          <EmailVerification user={user} />
          <div>
            <dt>Role</dt>
            <dd>{user.role}</dd>
          </div>
          <div>
            <dt>Member since</dt>
            <dd>
              <time dateTime={user.created_at}>{formatDate(user.created_at)}</time>
            </dd>
          </div>
        </dl>
        <p>
          Sessions, two-factor authentication and your account&apos;s activity:{" "}
          <Link href="/security/">Security settings</Link>.
        </p>
      </section>
      <EditProfileForm current={current} onSaved={setCurrent} reload={reload} />
      <ChangePasswordForm user={user} />
      <DeleteAccount user={user} />
    </>
  );
}
