import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";

import { SessionProvider } from "@/components/session";
import { SiteHeader } from "@/components/site-header";

import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Serverless Auth", template: "%s · Serverless Auth" },
  description: "Sign up, sign in, manage your profile and, as an admin, everyone's.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <SessionProvider>
          <SiteHeader />
          <main id="main" tabIndex={-1}>
            {children}
          </main>
        </SessionProvider>
      </body>
    </html>
  );
}
