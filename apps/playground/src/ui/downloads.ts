import type { SaliencyMap } from '@xai/core';
import { fileStem, mapsToNpy, runJson, type RunRecord } from '../logic/exports.js';
import { byId } from './dom.js';

const urls: string[] = [];

function link(id: string, name: string, bytes: Uint8Array | string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
  urls.push(url);
  const anchor = byId<HTMLAnchorElement>(id);
  anchor.href = url;
  anchor.download = name;
}

/** Points the download links at the current run: the full-resolution PNG, maps as .npy, and a JSON record. */
export function offerDownloads(png: Uint8Array, maps: readonly SaliencyMap[], record: RunRecord): void {
  for (const url of urls.splice(0)) URL.revokeObjectURL(url);
  const stem = fileStem(record.map);
  link('download-png', `${stem}.png`, png, 'image/png');
  link('download-npy', `${stem}.npy`, mapsToNpy(maps), 'application/octet-stream');
  link('download-json', `${stem}.json`, runJson(record), 'application/json');
}
