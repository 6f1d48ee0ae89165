"use client";

import { useEffect, useState } from "react";

import { ApiError, type Schemas } from "@/api/http";
import { formatDateTime } from "@/components/activity";
import { FormAlert, StatusMessage } from "@/components/forms";
import { Loading } from "@/components/session";
import { accountApi } from "@/lib/browser";
import { deviceName, sortSessions } from "@/lib/devices";
import { describeError } from "@/lib/errors";

/** Where the user is signed in: this device first, then the others, each of which can
 * be signed out; or all the others at once. */
export function Sessions({ onChange }: { onChange: () => void }) {
  const [sessions, setSessions] = useState<Schemas["SessionOut"][] | null>(null);
  const [alert, setAlert] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [pending, setPending] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const reload = () => setGeneration((n) => n + 1);

  useEffect(() => {
    let active = true;
    accountApi()
      .sessions()
      .then(
        (items) => active && setSessions(sortSessions(items)),
        (error: unknown) => active && setAlert(describeError(error)),
      );
    return () => {
      active = false;
    };
  }, [generation]);

  async function revoke(item: Schemas["SessionOut"]) {
    setPending(item.id);
    setAlert(null);
    setStatus(null);
    try {
      await accountApi().revokeSession(item.id);
      setStatus(`Signed out ${deviceName(item)}.`);
    } catch (error) {
      if (error instanceof ApiError && error.kind === "not-found") {
        setStatus(`${deviceName(item)} was already signed out.`);
      } else {
        setAlert(describeError(error));
      }
    }
    setPending(null);
    // The button that had focus is gone with its row: keep the keyboard in this section.
    document.getElementById("sessions-title")?.focus();
    reload();
    onChange();
  }

  async function revokeOthers() {
    setPending("others");
    setAlert(null);
    setStatus(null);
    try {
      await accountApi().revokeOtherSessions();
      setStatus("Signed out everywhere else. This device stays signed in.");
    } catch (error) {
      setAlert(describeError(error));
    }
    setPending(null);
    reload();
    onChange();
  }

  const others = sessions?.filter((item) => !item.current) ?? [];
  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title" tabIndex={-1}>
        Sessions
      </h2>
      <p className="hint">The browsers and apps signed in to your account.</p>
      <FormAlert message={alert} />
      <StatusMessage message={status} />
      {sessions === null ? (
        alert ? null : <Loading label="Loading your sessions…" />
      ) : (
        <ul className="sessions" aria-label="Your sessions">
          {sessions.map((item) => (
            <li key={item.id} className="session">
              <div>
                <p className="session-device">
                  <strong>{deviceName(item)}</strong>
                  {item.current ? <span className="badge badge-current">This device</span> : null}
                </p>
                <p className="activity-meta">
                  {item.ip ? `IP ${item.ip} · ` : ""}
                  signed in <time dateTime={item.created_at}>{formatDateTime(item.created_at)}</time> ·
                  last used <time dateTime={item.last_used_at}>{formatDateTime(item.last_used_at)}</time>
                </p>
              </div>
              {item.current ? null : (
                <button
                  type="button"
                  className="button button-small"
                  onClick={() => revoke(item)}
                  disabled={pending !== null}
                  aria-busy={pending === item.id}
                >
                  {pending === item.id ? (
                    "Signing out…"
                  ) : (
                    <>
                      Sign out<span className="visually-hidden"> {deviceName(item)}</span>
                    </>
                  )}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {sessions !== null ? (
        <button
          type="button"
          className="button"
          onClick={revokeOthers}
          disabled={pending !== null || others.length === 0}
          aria-busy={pending === "others"}
        >
          {pending === "others" ? "Signing out…" : "Sign out everywhere else"}
        </button>
      ) : null}
    </section>
  );
}
