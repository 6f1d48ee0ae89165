"use client";

import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useState } from "react";

import { useSession } from "@/components/session";

function NavLink({ href, children }: { href: string; children: string }) {
  const current = usePathname() === href;
  return (
    <Link href={href} aria-current={current ? "page" : undefined}>
      {children}
    </Link>
  );
}

export function SiteHeader() {
  const { state, session } = useSession();
  const router = useRouter();
  const [pending, setPending] = useState(false);

  async function signOut() {
    setPending(true);
    await session.signOut("You have signed out.");
    setPending(false);
    router.push("/sign-in/");
  }

  return (
    <header className="site-header">
      <Link href="/" className="brand">
        Serverless Auth
      </Link>
      <nav aria-label="Main">
        {state.status === "signed-in" ? (
          <ul>
            <li>
              <NavLink href="/profile/">Profile</NavLink>
            </li>
            <li>
              <NavLink href="/security/">Security</NavLink>
            </li>
            {state.user.role === "admin" ? (
              <li>
                <NavLink href="/admin/users/">Users</NavLink>
              </li>
            ) : null}
            <li>
              <button type="button" className="link-button" onClick={signOut} disabled={pending}>
                {pending ? "Signing out…" : "Sign out"}
              </button>
            </li>
          </ul>
        ) : state.status === "signed-out" ? (
          <ul>
            <li>
              <NavLink href="/sign-in/">Sign in</NavLink>
            </li>
            <li>
              <NavLink href="/sign-up/">Create account</NavLink>
            </li>
          </ul>
        ) : null}
      </nav>
    </header>
  );
}
