// The headless Chromium every studio test drives (Debian's, through
// playwright-core; never a downloaded browser). The flags keep it off the
// network this machine does not have.
import { chromium } from "playwright-core";

/** Launches Debian's Chromium headless. */
export function launchChromium() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/**
 * How long a test waits for a state (an element, an attribute, a download)
 * before it fails. Every wait in the studio's tests is for a state, never a
 * pause: this is only the ceiling, generous because the suite runs them on
 * a busy 2-core machine, where a debug build's answer can take seconds.
 */
export const STATE_TIMEOUT_MS = 60_000;

/** A 1280×800 page on `url`, with the page errors it reports collected. */
export async function openStudio(url) {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(STATE_TIMEOUT_MS);
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(url);
  return { browser, page, pageErrors };
}
