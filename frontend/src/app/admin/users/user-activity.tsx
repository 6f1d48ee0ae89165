"use client";

import { useCallback, useEffect, useRef } from "react";

import { ACTIVITY_PAGE_SIZE, ActivityList } from "@/components/activity";
import { accountApi } from "@/lib/browser";

/** Whose events to show: one user's, or everyone's (`userId` null). */
export interface ActivityTarget {
  userId: string | null;
  email: string | null;
}

/** The audit log of one user (or of everyone) for admins, newest first. */
export function UserActivity({ target, onClose }: { target: ActivityTarget; onClose: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  // Where the keyboard was (the row's "Activity" button): back there on close.
  const opener = useRef<Element | null>(null);

  useEffect(() => {
    opener.current = document.activeElement;
    heading.current?.focus();
  }, [target.userId]);

  const load = useCallback(
    (cursor: string | null) => accountApi().audit(target.userId, ACTIVITY_PAGE_SIZE, cursor),
    [target.userId],
  );

  function close() {
    const back = opener.current;
    onClose();
    if (back instanceof HTMLElement && back.isConnected) back.focus();
  }

  const title = target.email ? `Activity of ${target.email}` : "Everyone's activity";
  return (
    <section className="card" aria-labelledby="user-activity-title">
      <div className="card-header">
        <h2 id="user-activity-title" ref={heading} tabIndex={-1}>
          {title}
        </h2>
        <button type="button" className="button button-small" onClick={close}>
          Close<span className="visually-hidden"> {title}</span>
        </button>
      </div>
      <ActivityList key={target.userId ?? "everyone"} load={load} label={title} showActor />
    </section>
  );
}
