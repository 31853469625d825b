// Finds the `parity ...` command lines in shell text, YAML files (every string in them: a
// workflow's `run:`, a pod's args) and Markdown (code blocks and inline code), as the words
// after `parity`. Variables and expressions become a placeholder value; synopses
// ("parity smoke | nightly [--env NAME]") are left out, since they are not command lines.
import { parseAllDocuments } from 'yaml';

export interface CommandLine {
  /** The words after `parity`. */
  args: string[];
  /** Where it was found: "examples/x.yml: npx parity smoke ...". */
  where: string;
}

const PLACEHOLDER = '1';

/** ${{ expr }}, $((expr)), $(cmd), ${VAR...}, $VAR → a plain value the parser can take. */
function substitute(s: string): string {
  return s
    .replace(/\$\{\{[^}]*\}\}/g, PLACEHOLDER)
    .replace(/\$\(\([^)]*\)\)/g, PLACEHOLDER)
    .replace(/\$\([^)]*\)/g, PLACEHOLDER)
    .replace(/\$\{[^}]*\}/g, PLACEHOLDER)
    .replace(/\$[A-Za-z_][A-Za-z0-9_]*/g, PLACEHOLDER);
}

type Token = { word: string } | { op: string };

/** A small shell lexer: words (quotes removed), operators, comments dropped. */
function lex(line: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') break;
    const op = /^(\d?>>?&?\d?|<|&&|\|\||[|;&()])/.exec(line.slice(i));
    if (op) {
      out.push({ op: op[1] });
      i += op[1].length;
      continue;
    }
    let word = '';
    while (i < line.length && !/[\s|;&()<>]/.test(line[i])) {
      const q = line[i];
      if (q === "'" || q === '"') {
        const end = line.indexOf(q, i + 1);
        word += line.slice(i + 1, end === -1 ? undefined : end);
        i = end === -1 ? line.length : end + 1;
      } else if (q === '\\' && i + 1 < line.length) {
        word += line[i + 1];
        i += 2;
      } else {
        word += q;
        i++;
      }
    }
    out.push({ word });
  }
  return out;
}

const KEYWORDS = new Set(['if', 'then', 'do', 'else', 'elif', 'while', 'until', '!', 'time', 'exec', 'env']);
const SYNOPSIS = /[[\]]|\.\.\.|…|^\|$/;

/** Command lines in shell text (continuations joined). */
export function fromShell(text: string, source: string): CommandLine[] {
  const out: CommandLine[] = [];
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const raw of joined.split('\n')) {
    const line = substitute(raw);
    const tokens = lex(line);
    // Split into simple commands at operators; a redirection also takes the next word.
    let words: string[] = [];
    const flush = () => {
      const w = words;
      words = [];
      let k = 0;
      while (k < w.length && (KEYWORDS.has(w[k]) || /^[A-Za-z_]\w*=/.test(w[k]))) k++;
      let rest: string[] | undefined;
      if (w[k] === 'npx' && w[k + 1] === 'parity') rest = w.slice(k + 2);
      else if (w[k] === 'parity' || /(^|\/)bin\/parity(\.js)?$/.test(w[k] ?? '')) rest = w.slice(k + 1);
      else if (w[k] === 'node' && /(^|\/)bin\/parity\.js$/.test(w[k + 1] ?? '')) rest = w.slice(k + 2);
      // no words after it: a name ("serviceAccountName: parity"), not a command line
      if (!rest || rest.length === 0) return;
      // A synopsis or a sentence, not a command line: brackets, ellipses, alternatives.
      if (rest.some((a) => SYNOPSIS.test(a))) return;
      out.push({ args: rest, where: `${source}: ${raw.trim()}` });
    };
    for (let t = 0; t < tokens.length; t++) {
      const tok = tokens[t];
      if ('word' in tok) words.push(tok.word);
      else {
        if (/[<>]/.test(tok.op)) {
          if (!/&\d$/.test(tok.op)) t++; // the file name
          continue;
        }
        flush();
      }
    }
    flush();
  }
  return out;
}

/** Every string scalar of every document of a YAML file, each read as shell text. */
export function fromYaml(text: string, source: string): CommandLine[] {
  const strings: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') strings.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  for (const doc of parseAllDocuments(text)) {
    if ('errors' in doc && doc.errors.length) throw new Error(`${source}: ${doc.errors[0].message}`);
    walk(doc.toJS());
  }
  return strings.flatMap((s) => fromShell(s, source));
}

/**
 * The code blocks of a Markdown file (shell text; YAML ones read as YAML). Inline code in
 * prose names commands ("`parity diff` compares ...") rather than giving command lines.
 */
export function fromMarkdown(text: string, source: string): CommandLine[] {
  const out: CommandLine[] = [];
  const fence = /^```([\w-]*)[^\n]*\n([\s\S]*?)^```/gm;
  for (const m of text.matchAll(fence)) {
    const lang = m[1].toLowerCase();
    const body = m[2].replace(/^\$ /gm, ''); // shell prompts
    if (lang === 'yaml' || lang === 'yml') out.push(...fromYaml(body, source));
    else if (['', 'sh', 'bash', 'shell', 'console', 'text'].includes(lang))
      out.push(...fromShell(body, source));
  }
  return out;
}
