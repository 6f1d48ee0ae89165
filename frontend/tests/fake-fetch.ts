import type { Fetch } from "@/api/http";

export interface Call {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
}

type Reply = Response | Error | ((call: Call) => Response | Promise<Response>);

/** A fetch that records each call and answers from a queue, in order. */
export function fakeFetch(...replies: Reply[]): Fetch & { calls: Call[]; queue: Reply[] } {
  const queue = [...replies];
  const calls: Call[] = [];
  const fetcher = async (url: string, init: RequestInit) => {
    const call: Call = {
      url,
      method: init.method ?? "GET",
      headers: new Headers(init.headers),
      body: typeof init.body === "string" ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    const reply = queue.shift();
    if (reply === undefined) throw new Error(`unexpected request ${call.method} ${url}`);
    if (reply instanceof Error) throw reply;
    return typeof reply === "function" ? reply(call) : reply;
  };
  return Object.assign(fetcher, { calls, queue });
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

export function problem(
  status: number,
  slug: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  const body = { type: `/problems/${slug}`, title: "Problem", status, ...extra };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}

export function noContent(): Response {
  return new Response(null, { status: 204 });
}

export const USER = {
  id: "u1",
  email: "ann@example.com",
  name: "Ann",
  role: "user" as const,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  version: 1,
  email_verified: false,
  two_factor_enabled: false,
};

export function tokens(accessToken: string, expiresIn = 900) {
  return { access_token: accessToken, expires_in: expiresIn, token_type: "Bearer" as const };
}

export class MemoryStorage {
  private readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/** `USER` with a verified email and two-factor on. */
export const ACCOUNT_USER = { ...USER, email_verified: true, two_factor_enabled: true };

export function accepted(body?: unknown): Response {
  return body === undefined
    ? new Response(null, { status: 202 })
    : new Response(JSON.stringify(body), { status: 202, headers: { "content-type": "application/json" } });
}
