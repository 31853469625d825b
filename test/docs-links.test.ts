// Every relative link in README.md, CHANGELOG.md, bench/README.md and docs/*.md points at a
// file that exists, and a #fragment at a heading of that file (GitHub's anchor rules).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/paths.js';

const docs = [
  'README.md',
  'CHANGELOG.md',
  'bench/README.md',
  ...readdirSync(join(PROJECT_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
].filter((f) => existsSync(join(PROJECT_ROOT, f)));

/** Markdown outside code fences and inline code. */
function prose(md: string): string {
  return md.replace(/^```[\s\S]*?^```/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const md = readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of md.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = anchorOf(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

function relativeLinks(file: string): string[] {
  const links = [...prose(readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map(
    (m) => m[1],
  );
  return links.filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l));
}

describe('documentation links', () => {
  it('finds the documents and their links', () => {
    expect(docs).toContain('README.md');
    expect(docs.length).toBeGreaterThanOrEqual(8);
    expect(relativeLinks(join(PROJECT_ROOT, 'README.md')).length).toBeGreaterThan(5);
  });

  it('computes GitHub anchors', () => {
    expect(anchorOf('Pointing it at a real staging/production pair')).toBe(
      'pointing-it-at-a-real-stagingproduction-pair',
    );
    expect(anchorOf('`parity smoke`')).toBe('parity-smoke');
  });

  for (const doc of docs) {
    it(`${doc}: every relative link resolves`, () => {
      const file = join(PROJECT_ROOT, doc);
      const broken: string[] = [];
      for (const link of relativeLinks(file)) {
        const [path, fragment] = link.split('#', 2);
        const target = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
        if (!existsSync(target)) {
          broken.push(`${link}: no such file`);
          continue;
        }
        if (
          fragment &&
          statSync(target).isFile() &&
          target.endsWith('.md') &&
          !anchorsOf(target).has(fragment)
        )
          broken.push(`${link}: no heading #${fragment} in ${relative(PROJECT_ROOT, target)}`);
      }
      expect(broken).toEqual([]);
    });
  }

  it('README.md stays under 20 KB', () => {
    expect(statSync(join(PROJECT_ROOT, 'README.md')).size).toBeLessThan(20 * 1024);
  });
});
