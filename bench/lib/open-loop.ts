/** A steady offered load in this thread: calls `submit(i)` every 1/rate seconds without waiting for it. */
export async function driveOpenLoop(
  ratePerSecond: number,
  durationMs: number,
  submit: (index: number) => Promise<unknown>,
): Promise<void> {
  const interval = 1000 / ratePerSecond;
  const total = Math.floor((durationMs / 1000) * ratePerSecond);
  const start = Date.now();
  const pending: Array<Promise<unknown>> = [];
  for (let index = 0; index < total; index += 1) {
    const wait = start + index * interval - Date.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(submit(index));
  }
  await Promise.all(pending);
}
