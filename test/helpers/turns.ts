/**
 * Runs `work` while another callback asks for a turn of the event loop after every one it gets,
 * and returns how many turns that callback got: zero means `work` never let anything else run.
 */
export async function turnsDuring<T>(work: () => Promise<T>): Promise<{ turns: number; value: T }> {
  let turns = 0;
  let done = false;
  const tick = () => {
    if (done) return;
    turns += 1;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    const value = await work();
    return { turns, value };
  } finally {
    done = true;
  }
}
