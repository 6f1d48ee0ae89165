"use client";

import { useEffect, useRef, useState } from "react";

import type { Schemas } from "@/api/http";
import { FormAlert } from "@/components/forms";
import { Loading } from "@/components/session";
import { appendEvents, byOther, detailLines, eventTitle, isWarning } from "@/lib/audit";
import { describeError } from "@/lib/errors";

export const ACTIVITY_PAGE_SIZE = 20;

export function formatDateTime(value: string): string {
  return new Date(value).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A list of audit events, newest first, with "Load more" while the API has a
 * `next_cursor`. To start over (another user, new events), render it with a new `key`. */
export function ActivityList({
  load,
  label,
  showActor = false,
}: {
  load: (cursor: string | null) => Promise<Schemas["AuditPageOut"]>;
  /** Names the list for screen readers, e.g. "Your activity". */
  label: string;
  /** Show who did it when it was someone else (admin view). */
  showActor?: boolean;
}) {
  const [events, setEvents] = useState<Schemas["AuditEventOut"][] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [alert, setAlert] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [status, setStatus] = useState("");
  const list = useRef<HTMLOListElement>(null);

  useEffect(() => {
    let active = true;
    load(null).then(
      (page) => {
        if (!active) return;
        setEvents(page.items);
        setNext(page.next_cursor);
      },
      (error: unknown) => active && setAlert(describeError(error)),
    );
    return () => {
      active = false;
    };
  }, [load]);

  async function more() {
    if (!events || next === null) return;
    setPending(true);
    setAlert(null);
    try {
      const page = await load(next);
      const shown = events.length;
      const merged = appendEvents(events, page.items);
      setEvents(merged);
      setNext(page.next_cursor);
      const added = merged.length - shown;
      setStatus(added === 1 ? "1 more event loaded." : `${added} more events loaded.`);
      // Keyboard users continue at the first new event, not at the top or a vanished button.
      setTimeout(() => {
        const items = list.current?.querySelectorAll<HTMLElement>(":scope > li");
        (page.next_cursor === null ? items?.[shown] : null)?.focus();
      }, 0);
    } catch (error) {
      setAlert(describeError(error));
    } finally {
      setPending(false);
    }
  }

  if (events === null) {
    return alert ? <FormAlert message={alert} /> : <Loading label="Loading activity…" />;
  }
  return (
    <>
      {events.length === 0 ? (
        <p>No activity recorded yet.</p>
      ) : (
        <ol className="activity" aria-label={label} ref={list}>
          {events.map((event) => (
            <li key={event.id} tabIndex={-1}>
              <p className="activity-title">
                {isWarning(event.type) ? <span className="badge badge-warning">alert</span> : null}
                <strong>{eventTitle(event)}</strong>{" "}
                <time dateTime={event.at}>{formatDateTime(event.at)}</time>
              </p>
              <p className="activity-meta">
                {[
                  event.ip ? `IP ${event.ip}` : null,
                  event.user_agent || null,
                  showActor && byOther(event) ? `by ${event.actor_id}` : null,
                  showActor ? null : byOther(event) ? "by an admin" : null,
                ]
                  .filter(Boolean)
                  .join(" · ")}
              </p>
              {detailLines(event).length > 0 ? (
                <ul className="activity-details">
                  {detailLines(event).map((line) => (
                    <li key={line}>{line}</li>
                  ))}
                </ul>
              ) : null}
            </li>
          ))}
        </ol>
      )}
      <FormAlert message={alert} />
      <p className="status" role="status" aria-live="polite">
        {status}
      </p>
      {next !== null ? (
        <button type="button" className="button" onClick={more} disabled={pending} aria-busy={pending}>
          {pending ? "Loading…" : "Load more"}
        </button>
      ) : null}
    </>
  );
}
