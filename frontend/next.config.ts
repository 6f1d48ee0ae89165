import type { NextConfig } from "next";
import { PHASE_DEVELOPMENT_SERVER } from "next/constants";

// A static export: plain files that S3 + CloudFront (or `app serve`) host as they are.
// Pages are client-rendered shells; every API call goes to the same origin under /api.
const config: NextConfig = {
  output: "export",
  // `/profile/` is `profile/index.html`: what S3, CloudFront and `app serve` all resolve.
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
};

// `npm run dev` only: keep the API same-origin by proxying /api to `app serve`
// (API_ORIGIN, default http://127.0.0.1:8000). The export has no server to do this.
const development = (): NextConfig => ({
  ...config,
  // The API's paths have no trailing slash: do not redirect them to one.
  skipTrailingSlashRedirect: true,
  async rewrites() {
    const api = process.env.API_ORIGIN ?? "http://127.0.0.1:8000";
    return [{ source: "/api/:path*", destination: `${api}/api/:path*` }];
  },
});

export default function nextConfig(phase: string): NextConfig {
  return phase === PHASE_DEVELOPMENT_SERVER ? development() : config;
}
