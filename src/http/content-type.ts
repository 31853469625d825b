// The content type a browser would send for a file it uploads, from its name (the files
// ChatMRPT's users upload: CSV, Excel, zipped shapefiles, GeoJSON).
import { extname } from 'node:path';

const BY_EXTENSION: Record<string, string> = {
  '.csv': 'text/csv',
  '.txt': 'text/plain',
  '.tsv': 'text/tab-separated-values',
  '.json': 'application/json',
  '.geojson': 'application/geo+json',
  '.xls': 'application/vnd.ms-excel',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.zip': 'application/zip',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
};

export function contentTypeOf(filename: string): string {
  return BY_EXTENSION[extname(filename).toLowerCase()] ?? 'application/octet-stream';
}
