import type { RawImage as CoreImage, SaliencyMap as CoreMap } from '@xai/core';
import { describe, expect, it } from 'vitest';
import { overlay, type RawImage, type SaliencyMap } from '../src/index.js';

// Compile-time: viz's plain-data types and @xai/core's are interchangeable (`pnpm typecheck`).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameMap: Same<SaliencyMap, CoreMap> = true;
const sameImage: Same<RawImage, CoreImage> = true;

describe('types shared with @xai/core', () => {
  it('accepts core values as they are', () => {
    const map: CoreMap = { data: new Float32Array([0, 1]), height: 1, width: 2, classIndex: 0, method: 'rise', params: {} };
    const image: CoreImage = { data: new Uint8Array(6), width: 2, height: 1, channels: 3 };
    expect([sameMap, sameImage]).toEqual([true, true]);
    expect(overlay(image, map).width).toBe(2);
  });
});
