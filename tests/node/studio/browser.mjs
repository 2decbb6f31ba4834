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

/** A 1280×800 page on `url`, with the page errors it reports collected. */
export async function openStudio(url) {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(url);
  return { browser, page, pageErrors };
}
