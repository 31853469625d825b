import { Parser } from 'htmlparser2';

// The front-end build an HTML page loads: the script and stylesheet URLs it references (build
// hashes show in them). A real HTML parser, not a regular expression: comments, the text of
// <script> elements, entities and unquoted or upper-case attributes all read as a browser does.

export interface Asset {
  kind: 'script' | 'stylesheet';
  url: string;
}

export function htmlAssets(html: string): Asset[] {
  const out: Asset[] = [];
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === 'script' && attrs.src) out.push({ kind: 'script', url: attrs.src.trim() });
        if (name !== 'link' || !attrs.href) return;
        const rel = (attrs.rel ?? '').toLowerCase().split(/\s+/);
        const as = (attrs.as ?? '').toLowerCase();
        if (rel.includes('stylesheet') || (rel.includes('preload') && as === 'style'))
          out.push({ kind: 'stylesheet', url: attrs.href.trim() });
        else if (rel.includes('modulepreload') || (rel.includes('preload') && as === 'script'))
          out.push({ kind: 'script', url: attrs.href.trim() });
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return out;
}

/** One comparable value: "script /static/js/app.1a2b.js, stylesheet /static/css/app.3c4d.css" (sorted, unique). */
export function assetList(html: string): string {
  const items = [...new Set(htmlAssets(html).map((a) => `${a.kind} ${a.url}`))].sort();
  return items.length ? items.join(', ') : '(none)';
}
