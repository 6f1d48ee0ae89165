"use client";

import { useRouter } from "next/navigation";
import { useEffect } from "react";

import { Loading, useSession } from "@/components/session";
import { DEFAULT_PAGE } from "@/lib/redirect";

/** `/`: straight to the profile when signed in, else to the sign-in page. */
export default function Home() {
  const { state } = useSession();
  const router = useRouter();
  useEffect(() => {
    if (state.status === "signed-in") router.replace(DEFAULT_PAGE);
    if (state.status === "signed-out") router.replace("/sign-in/");
  }, [state.status, router]);
  return <Loading label="Loading…" />;
}
