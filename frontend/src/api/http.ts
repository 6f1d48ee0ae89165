/**
 * A small fetch wrapper typed by the generated OpenAPI types (`schema.ts`): paths,
 * methods, path and query parameters, header parameters, JSON bodies and success bodies
 * all come from the API's own schema, so an API change that breaks the client breaks
 * `tsc` too. Failures become `ApiError`s carrying the RFC 9457 problem.
 */
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type User = Schemas["UserOut"];
export type TokenPair = Schemas["TokenPairOut"];
export type Problem = Schemas["ProblemOut"];
export type Role = User["role"];

export type Fetch = (input: string, init: RequestInit) => Promise<Response>;
export type Method = "get" | "post" | "patch" | "delete";

/** The paths that have an operation for `M`. */
export type PathWith<M extends Method> = {
  [P in keyof paths]: paths[P][M] extends { responses: unknown } ? P : never;
}[keyof paths];
export type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

type Parameters<O, K extends string> = O extends { parameters: { [key in K]?: infer V } }
  ? V
  : never;
type JsonBody<O> = O extends { requestBody: { content: { "application/json": infer B } } }
  ? B
  : O extends { requestBody?: { content: { "application/json": infer B } } }
    ? B | undefined
    : never;
type Json<R> = R extends { content: { "application/json": infer B } } ? B : undefined;
type SuccessStatus = 200 | 201 | 202 | 204;

/** An operation's documented success answers, one per 2xx status, as a union that
 * `status` discriminates: sign-in's `200 TokenPairOut | 202 TwoFactorChallengeOut`
 * narrows with `response.status === 202`. */
export type Answer<O> = O extends { responses: infer R }
  ? {
      [S in keyof R & SuccessStatus]: { data: Json<R[S]>; status: S; headers: Headers };
    }[keyof R & SuccessStatus]
  : never;
/** The success body (or the union of them when an operation has several). */
export type Success<O> = Answer<O>["data"];

export interface RequestOptions<O> {
  path?: Parameters<O, "path">;
  query?: Parameters<O, "query">;
  header?: Parameters<O, "header">;
  body?: JsonBody<O>;
  /** An access token, sent as `Authorization: Bearer ...`. */
  bearer?: string;
}

export interface ApiResponse<T> {
  data: T;
  status: number;
  headers: Headers;
}

const PROBLEM_JSON = "application/problem+json";

/** A failed request: an HTTP problem, or no answer at all (`status` 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  readonly headers: Headers;

  constructor(problem: Problem, headers: Headers = new Headers()) {
    super(problem.detail ?? problem.title);
    this.name = "ApiError";
    this.status = problem.status;
    this.problem = problem;
    this.headers = headers;
  }

  /** The problem's slug: `/problems/email-taken` → `email-taken`. */
  get kind(): string {
    return this.problem.type.replace(/^\/problems\//, "");
  }

  /** Seconds from `Retry-After` (429, 503), if the server sent it: delay-seconds, or
   * an HTTP date (RFC 9110 allows both; a proxy in front of the API may send a date). */
  get retryAfter(): number | null {
    const value = (this.headers.get("retry-after") ?? "").trim();
    if (/^\d+$/.test(value)) return Number.parseInt(value, 10);
    const at = value ? Date.parse(value) : Number.NaN;
    return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }

  /** The first message for each field of a validation problem's `errors`. */
  fieldErrors(): Record<string, string> {
    const found: Record<string, string> = {};
    for (const error of this.problem.errors ?? []) {
      found[error.field] ??= error.message;
    }
    return found;
  }
}

export const NETWORK_PROBLEM: Problem = {
  type: "network-error",
  title: "The server could not be reached",
  status: 0,
};

export function expandPath(template: string, params: Record<string, unknown> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === null) {
      throw new Error(`missing path parameter ${name} for ${template}`);
    }
    return encodeURIComponent(String(value));
  });
}

function queryString(query: Record<string, unknown> | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null) params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

async function problemOf(response: Response): Promise<Problem> {
  const type = response.headers.get("content-type") ?? "";
  if (type.startsWith(PROBLEM_JSON) || type.startsWith("application/json")) {
    try {
      const body = (await response.json()) as Partial<Problem>;
      if (typeof body.title === "string" && typeof body.type === "string") {
        return { ...body, status: response.status } as Problem;
      }
    } catch {
      // not JSON after all: fall through to a generic problem
    }
  }
  return { type: "about:blank", title: response.statusText || "Error", status: response.status };
}

export async function request<M extends Method, P extends PathWith<M>>(
  fetcher: Fetch,
  method: M,
  path: P,
  options: RequestOptions<Operation<P, M>> = {},
): Promise<Answer<Operation<P, M>>> {
  const url =
    expandPath(path, options.path as Record<string, unknown> | undefined) +
    queryString(options.query as Record<string, unknown> | undefined);
  const headers = new Headers({ accept: `application/json, ${PROBLEM_JSON}` });
  for (const [name, value] of Object.entries(options.header ?? {})) {
    if (value !== undefined && value !== null) headers.set(name, String(value));
  }
  if (options.bearer) headers.set("authorization", `Bearer ${options.bearer}`);
  const init: RequestInit = { method: method.toUpperCase(), headers, credentials: "same-origin" };
  if (options.body !== undefined) {
    headers.set("content-type", "application/json");
    init.body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetcher(url, init);
  } catch {
    throw new ApiError(NETWORK_PROBLEM);
  }
  if (!response.ok) throw new ApiError(await problemOf(response), response.headers);
  const text = response.status === 204 ? "" : await response.text();
  const data: unknown = text ? JSON.parse(text) : undefined;
  // The schema documents which 2xx answers carry which body; trust it as for `data`.
  return { data, status: response.status, headers: response.headers } as Answer<Operation<P, M>>;
}
