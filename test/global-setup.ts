// Build dist/ once before any test file runs: start-up tests spawn the real command
// (`node dist/cli/main.js serve`, what `npm start` runs), and must run today's code.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function setup(): void {
  const root = path.resolve(import.meta.dirname, '..');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
  } catch (err) {
    throw new Error(`build failed before tests:\n${(err as { stdout?: Buffer }).stdout?.toString() ?? (err as Error).message}`);
  }
}
