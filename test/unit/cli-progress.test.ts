import { describe, expect, it } from 'vitest';
import { bar, partText, progressBar } from '../../src/cli/progress.ts';

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, isTTY, columns: 120, write: (s: string) => writes.push(s) };
}

describe('CLI progress bar', () => {
  it('draws the share done', () => {
    expect(bar(0, 100, 10)).toBe('[----------]   0%');
    expect(bar(37, 100, 10)).toBe('[####------]  37%');
    expect(bar(250, 100, 10)).toBe('[##########] 100%');
    expect(bar(5, 0, 10)).toBe('[----------]   0%');
  });

  it('shows a reconciliation part with N/M as a bar, other statuses as they are', () => {
    expect(partText('hubspot', 'applying 40/100')).toBe('hubspot: [######----------]  40% applying 40/100');
    expect(partText('google-workspace', 'listing employees: 500 (1 pages)')).toBe(
      'google-workspace: listing employees: 500 (1 pages)',
    );
  });

  it('draws on a terminal at most every interval, and clears the line at the end', () => {
    const out = stream(true);
    let t = 0;
    const p = progressBar(out, 200, () => t);
    p.count('import', 1, 10, 'KiB');
    t = 50;
    p.count('import', 2, 10, 'KiB');
    t = 300;
    p.count('import', 5, 10, 'KiB');
    t = 310;
    p.count('import', 10, 10, 'KiB');
    p.done();
    expect(out.writes).toEqual([
      '\r\x1b[Kimport [##----------------------]  10% 1/10 KiB  0.0 s',
      '\r\x1b[Kimport [############------------]  50% 5/10 KiB  0.3 s',
      '\r\x1b[K',
    ]);
  });

  it('draws nothing when the stream is not a terminal (pipes, CI, logs)', () => {
    const out = stream(false);
    const p = progressBar(out);
    p.count('import', 1, 2);
    p.update('hubspot', 'applying 1/2');
    p.done();
    expect(out.writes).toEqual([]);
  });
});
