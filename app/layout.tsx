import type { Metadata } from "next";
import { connection } from "next/server";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata: Metadata = {
  title: "Agency Reporting",
  description: "Weekly reporting for agencies and their clients",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Rendered per request, never prerendered: each page's scripts carry the nonce of the
  // Content-Security-Policy that proxy.ts sent with it.
  await connection();
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
