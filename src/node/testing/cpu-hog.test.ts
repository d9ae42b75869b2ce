import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const HOG = fileURLToPath(new URL('./cpu-hog.ts', import.meta.url));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a CPU hog ends when the process that started it is gone, not at its deadline', { timeout: 30_000 }, async () => {
  // A parent that starts one loop of a minute, prints its pid and exits at once.
  const script = `import { startCpuHog } from ${JSON.stringify(HOG)}; const [h] = startCpuHog(1, 60000); console.log(h.pid); h.unref(); process.exit(0);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  const pid = Number(r.stdout.trim());
  assert.ok(pid > 0, `no pid: ${r.stdout}${r.stderr}`);
  const until = Date.now() + 10_000;
  while (alive(pid) && Date.now() < until) await new Promise((res) => setTimeout(res, 100));
  const left = alive(pid);
  if (left) process.kill(pid, 'SIGKILL');
  assert.equal(left, false, 'the loop outlived its parent by 10 s');
});
