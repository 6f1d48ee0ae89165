"use client";

import { useEffect, useState } from "react";

import type { Role, User } from "@/api/http";
import { ConfirmDialog } from "@/components/confirm-dialog";
import { DeleteOwnAccountDialog } from "@/components/delete-account-dialog";
import { FormAlert, StatusMessage } from "@/components/forms";
import { Loading, RequireSession, useSession, useSignOutWith } from "@/components/session";
import { usersApi } from "@/lib/browser";
import { STALE_MESSAGE, describeError } from "@/lib/errors";
import { FIRST_PAGE, type Pager, back, cursorOf, forward, loaded, pageNumber } from "@/lib/pages";
import { OWN_ROLE_CHANGED } from "@/lib/session";

import { CreateUserForm } from "./create-user-form";
import { type ActivityTarget, UserActivity } from "./user-activity";

export const PAGE_SIZE = 10;

export function AdminUsers() {
  return <RequireSession admin>{(me) => <UsersAdmin me={me} />}</RequireSession>;
}

function UsersAdmin({ me }: { me: User }) {
  const { session } = useSession();
  const signOutWith = useSignOutWith();
  const [pager, setPager] = useState<Pager>(FIRST_PAGE);
  const [users, setUsers] = useState<User[] | null>(null);
  const [alert, setAlert] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<User | null>(null);
  const [pending, setPending] = useState(false);
  const [activity, setActivity] = useState<ActivityTarget | null>(null);
  const cursor = cursorOf(pager);

  // Bumped to read the page again after a change.
  const [generation, setGeneration] = useState(0);
  const reload = () => setGeneration((n) => n + 1);

  useEffect(() => {
    let active = true;
    usersApi()
      .list(PAGE_SIZE, cursor)
      .then(
        (page) => {
          if (!active) return;
          setUsers(page.items);
          setPager((p) => loaded(p, page.next_cursor));
        },
        (error: unknown) => active && setAlert(describeError(error)),
      );
    return () => {
      active = false;
    };
  }, [cursor, generation]);

  /** A role change ends every session of that user (the role is in their tokens); when
   * it is your own, this tab signs out too. */
  async function changeRole(user: User, role: Role) {
    setAlert(null);
    setStatus(null);
    const own = user.id === me.id;
    // Your own sessions end with the change: no refresh may race it.
    const resume = own ? session.pauseRefresh() : () => {};
    try {
      // The list has versions but no ETags: read the user's ETag and make sure nobody
      // changed it since the list was loaded, so a stale list cannot overwrite a change.
      const { user: latest, etag } = await usersApi().get(user.id);
      if (latest.version !== user.version) {
        setAlert(STALE_MESSAGE);
      } else {
        await usersApi().update(user.id, etag, { role });
        if (own) {
          await signOutWith(OWN_ROLE_CHANGED);
          return;
        }
        setStatus(
          `${user.email} is now ${role === "admin" ? "an admin" : "a user"}. ` +
            "Their sessions were signed out: they sign in again with the new role.",
        );
      }
    } catch (error) {
      setAlert(describeError(error));
    }
    resume();
    reload();
  }

  async function confirmDelete() {
    if (!deleting) return;
    setPending(true);
    setAlert(null);
    try {
      await usersApi().remove(deleting.id);
      setStatus(`Deleted ${deleting.email}.`);
    } catch (error) {
      setAlert(describeError(error));
    }
    setPending(false);
    setDeleting(null);
    reload();
  }

  return (
    <>
      <section className="card" aria-labelledby="users-title">
        <h1 id="users-title">Users</h1>
        <FormAlert message={alert} />
        <StatusMessage message={status} />
        {users === null ? (
          <Loading label="Loading users…" />
        ) : (
          <table className="users">
            <caption className="visually-hidden">
              Users, page {pageNumber(pager)}, in the order they were created
            </caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <UserRow
                  key={`${user.id}-${user.version}`}
                  user={user}
                  isMe={user.id === me.id}
                  onRole={changeRole}
                  onDelete={() => setDeleting(user)}
                  onActivity={() => setActivity({ userId: user.id, email: user.email })}
                />
              ))}
            </tbody>
          </table>
        )}
        <nav className="pager" aria-label="Pages of users">
          <button
            type="button"
            className="button"
            disabled={pager.index === 0}
            onClick={() => setPager(back)}
          >
            Previous page
          </button>
          <span aria-live="polite">Page {pageNumber(pager)}</span>
          <button
            type="button"
            className="button"
            disabled={pager.next === null}
            onClick={() => setPager(forward)}
          >
            Next page
          </button>
        </nav>
        <p>
          <button
            type="button"
            className="button button-small"
            onClick={() => setActivity({ userId: null, email: null })}
          >
            Everyone&apos;s activity
          </button>
        </p>
      </section>
      {activity ? <UserActivity target={activity} onClose={() => setActivity(null)} /> : null}
      <CreateUserForm
        onCreated={(user) => {
          setStatus(`Created ${user.email}.`);
          reload();
        }}
      />
      <DeleteOwnAccountDialog
        user={me}
        open={deleting?.id === me.id}
        onClose={() => setDeleting(null)}
      />
      <ConfirmDialog
        open={deleting !== null && deleting.id !== me.id}
        title="Delete this user?"
        confirmLabel="Delete user"
        pending={pending}
        onConfirm={confirmDelete}
        onCancel={() => setDeleting(null)}
      >
        <p>
          <strong>{deleting?.email}</strong> will be deleted and signed out everywhere. This cannot
          be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}

function UserRow({
  user,
  isMe,
  onRole,
  onDelete,
  onActivity,
}: {
  user: User;
  isMe: boolean;
  onRole: (user: User, role: Role) => Promise<void>;
  onDelete: () => void;
  onActivity: () => void;
}) {
  const [role, setRole] = useState<Role>(user.role);
  const [saving, setSaving] = useState(false);
  const selectId = `role-${user.id}`;
  return (
    <tr>
      <td data-label="Name">
        <span>
          {user.name}
          {isMe ? <span className="badge">you</span> : null}
        </span>
      </td>
      <td data-label="Email">{user.email}</td>
      <td data-label="Role">
        <form
          className="inline-form"
          onSubmit={async (event) => {
            event.preventDefault();
            setSaving(true);
            await onRole(user, role);
            setSaving(false);
          }}
        >
          <label htmlFor={selectId} className="visually-hidden">
            Role of {user.email}
          </label>
          <select id={selectId} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="user">user</option>
            <option value="admin">admin</option>
          </select>
          <button
            type="submit"
            className="button button-small"
            disabled={saving || role === user.role}
            aria-busy={saving}
          >
            {saving ? "Saving…" : <>Save role<span className="visually-hidden"> of {user.email}</span></>}
          </button>
        </form>
      </td>
      <td data-label="Actions">
        <span className="row-actions">
          <button type="button" className="button button-small" onClick={onActivity}>
            Activity<span className="visually-hidden"> of {user.email}</span>
          </button>
          <button type="button" className="button button-small button-danger" onClick={onDelete}>
            Delete<span className="visually-hidden"> {user.email}</span>
          </button>
        </span>
      </td>
    </tr>
  );
}
