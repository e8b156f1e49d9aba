/**
 * Process-wide services, created on first use. Importing the function registrations stays cheap (the
 * Functions host imports them at start-up): the Azure SDKs load and clients connect only when the first
 * invocation asks for them.
 */
import type { AppServices } from './app-services.js';

let services: Promise<AppServices> | undefined;

export function getServices(): Promise<AppServices> {
  services ??= import('./composition.js').then((composition) => composition.createServices());
  // A failed start (bad config, unreachable endpoint) is not cached: the next invocation tries again.
  services.catch(() => {
    services = undefined;
  });
  return services;
}

/** For the dev host and tests: use these services instead of building them from the environment. */
export function useServices(replacement: AppServices | undefined): void {
  services = replacement ? Promise.resolve(replacement) : undefined;
}

export async function closeServices(): Promise<void> {
  const current = services;
  services = undefined;
  if (current) await (await current).close();
}
