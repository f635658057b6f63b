import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "../../src/store/store.js";

/*
 * A store in a file of its own (a test that reopens it, or reads the file, needs a real file rather
 * than `:memory:`), removed by `removeFileStores` after each test.
 */
const dirs: string[] = [];

export async function fileStore(prefix = "claimcheck-test-"): Promise<{ store: Store; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  const path = join(dir, "audit.db");
  return { store: await Store.open(path), path };
}

export function removeFileStores(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}
